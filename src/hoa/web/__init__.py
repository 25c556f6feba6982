"""The web edge: FastAPI dependencies, exception handlers, session cookies, and the built web
app. Routers use it; services never do."""
