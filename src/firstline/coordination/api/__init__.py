"""Coordination API under /api/v1/coordination/: events, then recommendations and plans."""

from __future__ import annotations

from ninja import Router

from firstline.coordination.api.events import router as events_router
from firstline.coordination.api.plans import router as plans_router

router = Router(tags=["coordination"])
router.add_router("", events_router)
router.add_router("", plans_router)
