"""Infrastructure below the domains: settings, database, errors, logging, the request path's
middleware, rate limits, pagination, tokens, the request context and after-commit hooks. It
imports no domain."""
