"""Questions about a paper, answered from its own passages: retrieved, quoted and linked (paper-qa's shape).

passages.py   the paper as anchored passages        ranking.py   BM25 over them (bm25s)
index.py      both, built once per paper version and cached in the store
fitting.py    which passages and earlier turns fit the model, by an exact count of the prompt
prompt.py     the question prompt (prompts/ask.md.j2)  citations.py  [pN] checked, quoted, linked
answer.py     one answer: generate, check sentence by sentence, ground, store the turn
pipeline.py   the `Asker`: requests in, events out (queue, cancellation), conversations
"""
