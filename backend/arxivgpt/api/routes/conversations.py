"""Conversations about papers: read one with its turns, list a paper's, delete one."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from arxivgpt.api.deps import AskerDep
from arxivgpt.api.papers import check_remote_paper
from arxivgpt.ask.models import Conversation, ConversationInfo

router = APIRouter(tags=["conversations"])


@router.get("/v1/conversations/{conversation_id}", response_model=Conversation)
async def get_conversation(conversation_id: str, asker: AskerDep) -> Conversation:
    """The conversation with every turn: questions, answers, citations (quotes, links), model, timings."""
    return await asyncio.to_thread(asker.conversation, conversation_id)


@router.delete("/v1/conversations/{conversation_id}", status_code=204)
async def delete_conversation(conversation_id: str, asker: AskerDep) -> Response:
    """Delete the conversation and its turns."""
    await asyncio.to_thread(asker.delete, conversation_id)
    return Response(status_code=204)


@router.get("/v1/papers/{paper_id:path}/conversations", response_model=list[ConversationInfo])
async def list_conversations(paper_id: str, asker: AskerDep) -> list[ConversationInfo]:
    """The paper's conversations, newest first: of one version (`2501.11120v1`) or of all (`2501.11120`)."""
    check_remote_paper(paper_id)
    return await asyncio.to_thread(asker.conversations, paper_id)
