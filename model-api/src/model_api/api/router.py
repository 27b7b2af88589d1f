"""All routes composed in one place."""

from __future__ import annotations

from fastapi import APIRouter

from model_api.api import form, health, model, predict


def build_router() -> APIRouter:
    """Operations, model, predict and the page."""
    router = APIRouter()
    for module in (health, model, predict, form):
        router.include_router(module.router)
    return router
