from ninja import NinjaAPI

api = NinjaAPI(title="leadqual API", version="1", urls_namespace="api-v1")
