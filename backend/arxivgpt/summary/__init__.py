"""Steps two and four of the pipeline: fit the paper to the model, prompt it, check what comes back.

pipeline.py    Summarizer: request -> Meta, Delta..., Done events; summary cache; single flight (flight.py)
writer.py      one summary's blocking work: plan, [map], prompt, generate, ground, render, store
budget.py      fit a paper into the context: full, sections (selection.py) or map-reduce (chunking.py,
               notes.py), over counted sections (sections.py)
prompts.py     the templates in prompts/, rendered in a sandbox with line-numbered errors
grounding.py   citations checked against the paper's numbered bibliography; made-up ones removed
render.py      Markdown to sanitised HTML
models.py      the request and result shapes shared by the CLI and the API
"""
