"""Vapi's web SDK (``@vapi-ai/web``) as a Reflex component: a browser test call with a real Vapi account.

The React side lives beside this file (``web_call.jsx``); it reports the call's status and final transcript lines
as events, so the same transcript view serves the text test call and the browser call.
"""

from __future__ import annotations

import reflex as rx

VAPI_WEB_SDK = "@vapi-ai/web@2.7.1"


class WebCall(rx.Component):
    """Start/hang-up controls for a browser call to the assistant, with its status."""

    library = rx.asset("web_call.jsx", shared=True).importable_path
    tag = "AvaWebCall"
    lib_dependencies: list[str] = [VAPI_WEB_SDK]

    public_key: rx.Var[str]
    api_base_url: rx.Var[str]
    assistant_id: rx.Var[str]
    labels: rx.Var[dict[str, str]]

    on_transcript: rx.EventHandler[lambda role, text: [role, text]]
    on_status: rx.EventHandler[lambda status, detail: [status, detail]]


web_call = WebCall.create
