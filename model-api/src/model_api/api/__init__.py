"""HTTP routes; `api.router.build_router` composes them."""
