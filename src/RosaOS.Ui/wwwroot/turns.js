// Turn latency panel (issue 17): each voice or chat turn's breakdown from the kernel's traces (GET /api/turns),
// from the end of the user's speech (or the chat POST) to the first audio sample played. Kept apart from app.js.
(() => {
  'use strict';
  const panel = document.getElementById('turns-panel');
  if (!panel) return;
  const list = panel.querySelector('#turns');
  const empty = panel.querySelector('#no-turns');
  const labels = {
    'voice.turn': 'voice turn', 'chat.received': 'chat received', 'speech.transcribe': 'transcription',
    'speech.acknowledge': 'acknowledgement gesture', 'speech.post': 'POST /stt', 'kernel.turn': 'kernel turn',
    'llm.request': 'LLM request', 'tool.call': 'tool call', 'worker.task': 'worker task', 'speak.queued': 'speak queued',
    'tts.first_chunk': 'synthesis of the first chunk', 'audio.first_sample': 'first audio sample',
  };
  const ms = v => (v == null ? '–' : `${Math.round(v)} ms`);
  let last = '';

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function render(turns) {
    const key = JSON.stringify(turns.map(t => [t.trace_id, t.spans.length, t.first_audio_ms]));
    if (key === last) return;
    last = key;
    list.replaceChildren();
    empty.hidden = turns.length > 0;
    for (const turn of turns) {
      const item = el('li', 'turn');
      item.dataset.traceId = turn.trace_id;
      const root = turn.spans.find(s => s.name === 'voice.turn' || s.name === 'chat.received');
      const said = root && root.attributes && root.attributes.text ? `“${root.attributes.text}”` : (turn.event_id ? `event ${turn.event_id}` : turn.trace_id.slice(0, 8));
      const head = el('div', 'turn-head');
      head.append(el('strong', null, said), el('span', 'turn-total', ` first audio after ${ms(turn.first_audio_ms)}`),
        el('span', 'muted', ` · ${turn.serial_llm_calls ?? '–'} LLM call(s) in series · ${new Date(turn.started_at).toLocaleTimeString()}`));
      item.append(head);
      const scale = Math.max(turn.first_audio_ms || 0, ...turn.spans.map(s => s.offset_ms + s.duration_ms), 1);
      const rows = el('ol', 'turn-spans');
      for (const s of turn.spans) {
        const row = el('li', 'turn-span');
        const name = labels[s.name] || s.name;
        const detail = s.attributes && s.attributes.tool ? ` ${s.attributes.tool}` : '';
        row.append(el('span', 'span-name', `${name}${detail} (${s.process})`));
        const track = el('span', 'span-track');
        const bar = el('span', 'span-bar');
        bar.style.marginLeft = `${(100 * s.offset_ms) / scale}%`;
        bar.style.width = `${Math.max(0.5, (100 * s.duration_ms) / scale)}%`;
        track.append(bar);
        row.append(track, el('span', 'span-time', `+${ms(s.offset_ms)} · ${ms(s.duration_ms)}`));
        rows.append(row);
      }
      item.append(rows);
      list.append(item);
    }
  }

  async function refresh() {
    try {
      const r = await fetch('/api/turns?limit=10', { headers: { Accept: 'application/json' } });
      if (r.ok) render((await r.json()).turns || []);
    } catch { /* the kernel restarting: the next refresh shows it */ }
  }

  refresh();
  setInterval(refresh, 3000);
})();
