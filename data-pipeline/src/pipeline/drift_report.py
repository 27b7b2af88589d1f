"""The drift report: one self-contained HTML page with a plot per feature, plus JSON.

Written under `reports/<dataset>/drift/<batch_id>/` (report.html, drift.json) and summarised
in `reports/<dataset>/drift/latest.json`, the pointer dashboards read for the latest status.
Plots are PNGs embedded as base64 so the page opens the same from a laptop, S3 or a browser
pointed at a presigned URL, without sibling files.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
from typing import Any

from pipeline.drift import DriftResult, FeatureDrift, format_p_value
from pipeline.lake import Lake
from pipeline.layout import reports_prefix

logger = logging.getLogger(__name__)

REPORT_FILE = "report.html"
JSON_FILE = "drift.json"
LATEST_FILE = "latest.json"

_STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#1f2328;max-width:1180px}
h1{font-size:22px;margin:0 0 4px} .meta{color:#59636e;margin:0 0 16px}
.verdict{padding:10px 14px;border-radius:6px;font-weight:600;margin-bottom:18px}
.ok{background:#dafbe1;color:#116329} .bad{background:#ffebe9;color:#a40e26}
table{border-collapse:collapse;width:100%} th,td{padding:6px 8px;border-bottom:1px solid #d1d9e0;
text-align:left;vertical-align:middle;font-size:13px} th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums} tr.drift td:first-child{
border-left:4px solid #cf222e} img{display:block;width:360px}
.tag{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px}
.tag.ok{background:#dafbe1} .tag.bad{background:#ffebe9}
"""


def drift_prefix(dataset: str, batch_id: str) -> str:
    """`reports/<dataset>/drift/<batch_id>/`."""
    return f"{reports_prefix(dataset, 'drift')}{batch_id}/"


def _plot_png(feature: FeatureDrift) -> bytes | None:
    # The object API, not pyplot: no global figure registry, safe in threaded workers.
    import numpy as np
    from matplotlib.figure import Figure

    plot = feature.plot
    if not plot:
        return None
    figure = Figure(figsize=(4.8, 2.2), dpi=90)
    axes = figure.add_subplot()
    if feature.kind == "numeric":
        edges = np.asarray(plot["edges"])
        axes.stairs(plot["reference"], edges, fill=True, alpha=0.45, label="training")
        axes.stairs(plot["batch"], edges, linewidth=1.6, label="batch")
    else:
        positions = np.arange(len(plot["categories"]))
        axes.bar(positions - 0.2, plot["reference"], 0.4, alpha=0.6, label="training")
        axes.bar(positions + 0.2, plot["batch"], 0.4, label="batch")
        # `$` would start matplotlib mathtext; long labels would overlap.
        names = [_short(str(name)).replace("$", r"\$") for name in plot["categories"]]
        axes.set_xticks(positions, names, fontsize=7, rotation=30 if len(names) > 5 else 0)
    axes.set_ylabel("share of rows", fontsize=8)
    axes.tick_params(labelsize=8)
    axes.legend(fontsize=7, frameon=False)
    figure.subplots_adjust(left=0.13, right=0.98, top=0.96, bottom=0.14)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _short(label: str, limit: int = 16) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.1e}" if 0 < abs(value) < 10**-digits else f"{value:.{digits}f}"


def _p_shown(p_value: float | None) -> str:
    shown = html.escape(format_p_value(p_value))
    return shown if shown.startswith("&lt;") else f"= {shown}"


def _row(feature: FeatureDrift) -> str:
    png = _plot_png(feature)
    image = (
        f'<img alt="{html.escape(feature.name)}: training vs batch" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        if png
        else "no values"
    )
    status = (
        '<span class="tag bad">drift</span>'
        if feature.drifted
        else '<span class="tag ok">ok</span>'
    )
    why = html.escape("; ".join(feature.reasons)) or "-"
    nulls = f"{feature.reference_null_share:.1%} → {feature.batch_null_share:.1%}"
    return (
        f'<tr class="{"drift" if feature.drifted else ""}"><td><b>{html.escape(feature.name)}</b>'
        f"<br>{feature.kind}</td><td>{status}</td><td class='num'>{_number(feature.psi)}</td>"
        f"<td>{feature.test.upper()} stat {_number(feature.statistic)}<br>"
        f"p {_p_shown(feature.p_value)}</td><td>{nulls}</td><td>{why}</td>"
        f"<td>{image}</td></tr>"
    )


def render_drift_html(result: DriftResult) -> str:
    """The report page: verdict, thresholds, then one table row (with a plot) per feature.

    Drifted features come first, then the rest by decreasing PSI.
    """
    ordered = sorted(result.features, key=lambda f: (not f.drifted, -f.psi))
    verdict = (
        f"Drift in {len(result.drifted_features)} of {len(result.features)} features: "
        + ", ".join(result.drifted_features)
        if result.drifted
        else f"No drift in {len(result.features)} features"
    )
    rows = "\n".join(_row(feature) for feature in ordered)
    title = f"Drift report: {result.dataset}, batch {result.batch_id}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="meta">{result.batch_rows} batch rows compared with {result.reference_rows} training rows
of model version <b>{html.escape(result.reference_version or "unknown")}</b>, checked
{html.escape(result.checked_at)}. A feature drifts when its PSI exceeds {result.threshold:g}
(batches of 200+ rows) or its test's p-value is below {result.p_value_threshold:g}.</p>
<div class="verdict {"bad" if result.drifted else "ok"}">{html.escape(verdict)}</div>
<table><thead><tr><th>feature</th><th>status</th><th>PSI</th><th>test</th>
<th>missing (train → batch)</th><th>why</th><th>distribution (share of rows)</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""


def write_drift_report(lake: Lake, dataset: str, batch_id: str, result: DriftResult) -> str:
    """Write report.html and drift.json for one batch, update latest.json; return the HTML key.

    Re-running on the same batch overwrites the same keys (one report per batch).
    """
    prefix = drift_prefix(dataset, batch_id)
    report_key, json_key = prefix + REPORT_FILE, prefix + JSON_FILE
    data: dict[str, Any] = {**result.to_dict(), "report_key": report_key}
    lake.write_bytes(json_key, json.dumps(data, indent=1, allow_nan=False).encode("utf-8"))
    lake.write_bytes(report_key, render_drift_html(result).encode("utf-8"))
    latest = {
        "dataset": dataset,
        "batch_id": batch_id,
        "reference_version": result.reference_version,
        "checked_at": result.checked_at,
        "drifted": result.drifted,
        "drifted_features": result.drifted_features,
        "summary": result.summary(),
        "report": report_key,
        "json": json_key,
    }
    lake.write_bytes(
        reports_prefix(dataset, "drift") + LATEST_FILE, json.dumps(latest, indent=1).encode()
    )
    logger.info("drift report for %s batch %s written to %s", dataset, batch_id, report_key)
    return report_key
