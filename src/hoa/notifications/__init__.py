"""Notifications: outbox rows written with the change, delivered by Huey tasks."""
