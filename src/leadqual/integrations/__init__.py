"""Talking to the world outside: email, chat webhooks, CRM connectors."""
