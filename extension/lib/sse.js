// Server-Sent Events: text/event-stream bytes -> {event, data} objects, as the HTML spec's parser reads them.
//
//   const parser = new SseParser();
//   parser.push("event: delta\ndata: {\"te");   // -> []
//   parser.push("xt\":\"Hi\"}\n\n");             // -> [{event: "delta", data: "{\"text\":\"Hi\"}"}]
//
// Lines end in LF, CRLF or CR (a CR at the very end of a chunk waits for the next one, in case an LF follows);
// `data:` lines of one event are joined with "\n"; lines starting with ":" are comments; an event without
// `event:` is a "message"; a blank line with no data dispatches nothing.

export class SseParser {
  constructor() {
    this.buffer = "";
    this.started = false;
    this.resetEvent();
  }

  resetEvent() {
    this.eventType = "";
    this.dataLines = [];
  }

  /** Feed decoded text; returns the events it completed. */
  push(text) {
    this.buffer += text;
    if (!this.started && this.buffer.length > 0) {
      this.started = true;
      if (this.buffer.charCodeAt(0) === 0xfeff) this.buffer = this.buffer.slice(1);
    }
    return this.drain(false);
  }

  /** The stream ended: a last line without its terminator still counts, an unfinished event does not. */
  end() {
    const events = this.drain(true);
    if (this.buffer) this.line(this.buffer, events);
    this.buffer = "";
    this.resetEvent();
    return events;
  }

  drain(atEnd) {
    const events = [];
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf("\r", start);
      const lf = this.buffer.indexOf("\n", start);
      if (cr < 0 && lf < 0) break;
      const stop = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      let next = stop + 1;
      if (stop === cr) {
        if (stop + 1 === this.buffer.length && !atEnd) break; // CR LF may be split across chunks
        if (this.buffer[stop + 1] === "\n") next = stop + 2;
      }
      this.line(this.buffer.slice(start, stop), events);
      start = next;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  line(text, events) {
    if (text === "") {
      if (this.dataLines.length > 0) {
        events.push({ event: this.eventType || "message", data: this.dataLines.join("\n") });
      }
      this.resetEvent();
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.eventType = value;
    else if (field === "data") this.dataLines.push(value);
    // `id` and `retry` mean nothing to a one-shot POST stream; unknown fields are ignored.
  }
}

/** Every event of a byte stream (a fetch Response's body), decoded as UTF-8, in order. */
export async function* readSse(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
    yield* parser.end();
  } finally {
    // Stopping early (the page went away) must close the connection too: that is what stops the model.
    reader.cancel().catch(() => {});
  }
}
