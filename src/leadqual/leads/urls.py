from django.urls import path

app_name = "leads"

urlpatterns: list = []
