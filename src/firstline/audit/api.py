"""Audit API: tree heads, proofs and entries (RFC 9162)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["audit"])
