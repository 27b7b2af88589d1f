"""GET /: a small page generated from the manifest to try the model in a browser."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from model_api.api.deps import SettingsDep, StoreDep
from model_api.manifest import Feature, Manifest

router = APIRouter(tags=["page"])

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
form{display:grid;grid-template-columns:max-content 1fr;gap:.4rem .8rem;align-items:center}
label{font-family:ui-monospace,monospace;font-size:.9rem}
input,select{padding:.3rem;font-size:1rem}
button{grid-column:1/3;padding:.6rem;font-size:1rem;margin-top:.6rem}
#result{margin-top:1.2rem;padding:1rem;border-radius:.4rem;background:#f2f5f9;min-height:2rem}
.error{color:#a40000}
"""

_SCRIPT = """
const form = document.getElementById('predict-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const out = document.getElementById('result');
  const row = {};
  for (const el of form.querySelectorAll('[data-feature]')) {
    const name = el.dataset.feature;
    if (el.value === '' && el.dataset.nullable === 'true') { row[name] = null; continue; }
    row[name] = el.dataset.kind === 'category' ? el.value : Number(el.value);
  }
  const headers = {'Content-Type': 'application/json'};
  const key = document.getElementById('api-key');
  if (key && key.value) headers['X-API-Key'] = key.value;
  out.textContent = 'Predicting...';
  try {
    const response = await fetch('predict', {method: 'POST', headers, body: JSON.stringify(row)});
    const body = await response.json();
    if (!response.ok) {
      const detail = Array.isArray(body.detail)
        ? body.detail.map(e => (e.field || e.loc.join('.')) + ': ' + e.msg).join('; ')
        : body.detail;
      out.innerHTML = '';
      const p = document.createElement('p'); p.className = 'error';
      p.textContent = 'Error ' + response.status + ': ' + detail; out.appendChild(p);
      return;
    }
    out.innerHTML = '';
    const p = document.createElement('p'); p.id = 'prediction';
    const value = typeof body.prediction === 'number'
      ? body.prediction.toFixed(3) : body.prediction;
    p.textContent = 'Prediction: ' + value +
      (body.quality_rating ? ' (' + body.quality_rating + ')' : '');
    const v = document.createElement('small'); v.textContent = 'model ' + body.model_version;
    out.appendChild(p); out.appendChild(v);
  } catch (err) {
    out.textContent = 'Request failed: ' + err;
  }
});
"""


def _input(feature: Feature, example: object) -> str:
    name = escape(feature.name)
    common = (
        f'id="f-{name}" name="{name}" data-feature="{name}" data-kind="{feature.type}" '
        f'data-nullable="{str(feature.nullable).lower()}"'
    )
    if feature.type == "category":
        options = "".join(
            f'<option value="{escape(c)}"{" selected" if c == example else ""}>{escape(c)}</option>'
            for c in feature.categories or ()
        )
        return f"<select {common}>{options}</select>"
    step = "1" if feature.type == "integer" else "any"
    value = "" if example is None else escape(str(example))
    required = "" if feature.nullable else " required"
    return f'<input type="number" step="{step}" value="{value}" {common}{required}>'


def render_form(manifest: Manifest, needs_key: bool) -> str:
    """The page: one input per feature (example prefilled), categories as selects."""
    rows = "\n".join(
        f'<label for="f-{escape(f.name)}">{escape(f.name)}</label>'
        f"{_input(f, manifest.example.get(f.name))}"
        for f in manifest.features
    )
    key = (
        (
            '<label for="api-key">X-API-Key</label>'
            '<input id="api-key" type="password" autocomplete="off">'
        )
        if needs_key
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(manifest.dataset)} - model-api</title><style>{_STYLE}</style></head>
<body><h1>{escape(manifest.dataset)}</h1>
<p>Model <code>{escape(manifest.version)}</code> predicts <b>{escape(manifest.target)}</b>.
The form starts with a real row from the training data; change any value and press Predict.
API docs: <a href="docs">/docs</a>.</p>
<form id="predict-form">{rows}{key}<button type="submit" id="predict">Predict</button></form>
<div id="result" aria-live="polite"></div>
<script>{_SCRIPT}</script></body></html>"""


@router.get(
    "/", response_class=HTMLResponse, summary="A page to try the model", include_in_schema=True
)
async def page(store: StoreDep, settings: SettingsDep) -> HTMLResponse:
    """The form for the serving model, or a 503 page while none is loaded."""
    model = store.current
    if model is None:
        return HTMLResponse(
            "<!doctype html><title>model-api</title><p>No model is loaded yet; "
            "this page refreshes itself.</p>"
            '<meta http-equiv="refresh" content="5">',
            status_code=503,
        )
    return HTMLResponse(render_form(model.manifest, settings.api_key is not None))
