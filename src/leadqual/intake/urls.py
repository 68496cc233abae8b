from django.urls import path

app_name = "intake"

urlpatterns: list = []
