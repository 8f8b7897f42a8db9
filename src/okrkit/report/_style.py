# ruff: noqa: E501
# (the stylesheet reads best one CSS rule a line)
"""The dashboard's stylesheet: system fonts, a responsive grid, light and dark colours.

`CSS` styles a page with one plan; a page with several adds `PLANS_CSS`: the contents list, a
section per plan, and headings one level down (``h2`` plan, ``h3`` objective, ``h4`` key
result) that look like the one-plan page's.
"""

from __future__ import annotations

__all__ = ["CSS", "PLANS_CSS"]

CSS = """
:root {
  --bg: #f5f6f8; --card: #ffffff; --text: #1c2128; --muted: #59636e; --line: #d5dae0;
  --track: #e6e9ed; --accent: #1f6feb; --goal: #b35900; --pace: #7d8590;
  --band: rgba(31, 111, 235, 0.16);
  --ok-bg: #dcf5e3; --ok: #14632d; --ok-bar: #2e9e4f;
  --warn-bg: #fff3c4; --warn: #6f4a00; --warn-bar: #d1a12a;
  --bad-bg: #ffe4e1; --bad: #a1121f; --bad-bar: #d1353f;
  --none-bg: #eceff2; --none: #59636e; --none-bar: #a0a8b1;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1318; --card: #171c23; --text: #e4e8ec; --muted: #9aa4af; --line: #2f3741;
    --track: #27303a; --accent: #5b9cff; --goal: #f0a050; --pace: #8b949e;
    --band: rgba(91, 156, 255, 0.22);
    --ok-bg: #163822; --ok: #7ee2a0; --ok-bar: #3fb763;
    --warn-bg: #3d3110; --warn: #f2cc60; --warn-bar: #d6a935;
    --bad-bg: #44171a; --bad: #ff9b9b; --bad-bar: #e5534b;
    --none-bg: #262d35; --none: #9aa4af; --none-bar: #5c6670;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-variant-numeric: tabular-nums;
}
.page-head, main, .page-foot { max-width: 76rem; margin: 0 auto; padding: 0 1rem; }
.page-head { padding-top: 1.5rem; padding-bottom: 0.5rem; }
h1, h2, h3 { line-height: 1.25; margin: 0; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.25rem; }
h3 { font-size: 1rem; margin: 0.1rem 0 0.5rem; }
p { margin: 0.35rem 0; }
.eyebrow {
  margin: 0; color: var(--muted); font-size: 0.78rem; letter-spacing: 0.04em;
  text-transform: uppercase; overflow-wrap: anywhere;
}
.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; text-transform: none; letter-spacing: 0; }
.cycle-label { color: var(--muted); font-weight: 500; }
.meta, .muted, .hint, .reason, .page-foot { color: var(--muted); }
.hint { margin-top: 0; }
.elapsed span[data-field] { white-space: nowrap; }
.elapsed { display: flex; align-items: center; gap: 0.75rem; margin: 0.5rem 0; font-size: 0.9rem; color: var(--muted); }
.elapsed .track { flex: 0 1 14rem; min-width: 5rem; height: 0.45rem; border-radius: 1rem; background: var(--track); overflow: hidden; }
.elapsed .track span { display: block; height: 100%; background: var(--pace); }
section { margin: 1.5rem 0; }
.objective { border-top: 1px solid var(--line); padding-top: 1.25rem; }
.objective-head { display: flex; gap: 1rem; align-items: flex-start; justify-content: space-between; margin-bottom: 1rem; }
.objective-title { min-width: 0; }
.score {
  flex: none; display: flex; flex-direction: column; align-items: center; justify-content: center;
  min-width: 5.5rem; padding: 0.5rem 0.75rem; border-radius: 0.75rem; border: 2px solid currentColor;
}
.score-value { font-size: 1.7rem; font-weight: 700; line-height: 1.1; }
.grade-word { font-size: 0.8rem; font-weight: 600; text-transform: uppercase; letter-spacing: 0.06em; }
.grade-green { background: var(--ok-bg); color: var(--ok); }
.grade-yellow { background: var(--warn-bg); color: var(--warn); }
.grade-red { background: var(--bad-bg); color: var(--bad); }
.grade-none { background: var(--none-bg); color: var(--none); }
.pill {
  display: inline-block; padding: 0.05rem 0.55rem; border-radius: 1rem; font-size: 0.8rem;
  font-weight: 600; white-space: nowrap; vertical-align: middle;
}
.pill.status-on_track, .pill.status-achieved { background: var(--ok-bg); color: var(--ok); }
.pill.status-at_risk { background: var(--warn-bg); color: var(--warn); }
.pill.status-off_track { background: var(--bad-bg); color: var(--bad); }
.pill.status-no_data { background: var(--none-bg); color: var(--none); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 21rem), 1fr)); gap: 1rem; }
.card {
  min-width: 0; background: var(--card); border: 1px solid var(--line); border-radius: 0.75rem;
  padding: 1rem; display: flex; flex-direction: column; gap: 0.25rem;
  border-top: 4px solid var(--none-bar);
}
.card.status-on_track, .card.status-achieved { border-top-color: var(--ok-bar); }
.card.status-at_risk { border-top-color: var(--warn-bar); }
.card.status-off_track { border-top-color: var(--bad-bar); }
.card.project { border-top-color: var(--line); }
.figure { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.25rem 0.5rem; margin: 0; }
.big { font-size: 1.5rem; font-weight: 700; }
.of { color: var(--muted); }
.meter { position: relative; height: 0.6rem; border-radius: 1rem; background: var(--track); margin: 0.35rem 0 0.1rem; }
.meter .fill { position: absolute; inset: 0 auto 0 0; border-radius: 1rem; background: var(--none-bar); }
.status-on_track .meter .fill, .status-achieved .meter .fill { background: var(--ok-bar); }
.status-at_risk .meter .fill { background: var(--warn-bar); }
.status-off_track .meter .fill { background: var(--bad-bar); }
.expected-tick { position: absolute; top: -0.2rem; bottom: -0.2rem; width: 2px; margin-left: -1px; background: var(--text); }
.activity-meter .fill { background: repeating-linear-gradient(135deg, var(--pace) 0 4px, var(--none-bar) 4px 8px); }
.value-line { font-size: 0.92rem; }
.chart { margin: 0.5rem 0 0; }
.chart-svg { display: block; width: 100%; height: auto; overflow: visible; }
.chart-svg .grid { stroke: var(--track); stroke-width: 1; }
.chart-svg .axis { fill: var(--muted); font-size: 10.5px; }
.chart-svg .now { stroke: var(--line); stroke-width: 1; }
.chart-svg .pace { stroke: var(--pace); stroke-width: 1.5; stroke-dasharray: 1.5 3; stroke-linecap: round; }
.chart-svg .goal { stroke: var(--goal); stroke-width: 1.5; stroke-dasharray: 6 4; }
.chart-svg .goal-label {
  fill: var(--goal); font-size: 10.5px; font-weight: 600;
  paint-order: stroke; stroke: var(--card); stroke-width: 3px; stroke-linejoin: round;
}
.chart-svg .band { fill: var(--band); stroke: none; }
.chart-svg .forecast { stroke: var(--accent); stroke-width: 1.5; stroke-dasharray: 4 3; }
.chart-svg .value { fill: none; stroke: var(--accent); stroke-width: 2.2; stroke-linejoin: round; }
.chart-svg .dot { fill: var(--card); stroke: var(--accent); stroke-width: 1.6; }
.legend { display: flex; flex-wrap: wrap; gap: 0.15rem 0.9rem; font-size: 0.78rem; color: var(--muted); margin-top: 0.25rem; }
.key::before { content: ""; display: inline-block; width: 1.3rem; margin-right: 0.3rem; vertical-align: middle; }
.key-value::before { border-top: 2px solid var(--accent); }
.key-goal::before, .key-limit::before { border-top: 2px dashed var(--goal); }
.key-pace::before { border-top: 2px dotted var(--pace); }
.key-forecast::before { height: 0.6rem; background: var(--band); border-top: 1.5px dashed var(--accent); }
.forecast, .check-in, .reason { font-size: 0.9rem; }
.activity { margin-top: auto; padding-top: 0.6rem; border-top: 1px dashed var(--line); font-size: 0.9rem; color: var(--muted); }
.activity b, .card.project b { color: var(--text); }
details summary { cursor: pointer; color: var(--muted); font-size: 0.88rem; }
.tasks { list-style: none; margin: 0.35rem 0 0; padding: 0; font-size: 0.88rem; }
.tasks li { display: flex; gap: 0.5rem; padding: 0.15rem 0; overflow-wrap: anywhere; }
.task-status {
  flex: none; width: 4.2rem; text-align: center; font-size: 0.72rem; font-weight: 600;
  text-transform: uppercase; border-radius: 0.3rem; background: var(--none-bg); color: var(--none);
  align-self: flex-start; margin-top: 0.15rem;
}
.task-done .task-status { background: var(--ok-bg); color: var(--ok); }
.task-doing .task-status { background: var(--warn-bg); color: var(--warn); }
.task-dropped > span:last-child { text-decoration: line-through; color: var(--muted); }
.review-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 21rem), 1fr)); gap: 1rem; margin-top: 0.75rem; }
.review-block { background: var(--card); border: 1px solid var(--line); border-radius: 0.75rem; padding: 0.75rem 1rem; }
.review-block ul { margin: 0.25rem 0 0; padding-left: 1.1rem; }
.review-block li { overflow-wrap: anywhere; }
.empty { color: var(--muted); font-style: italic; }
.page-foot { padding-top: 1rem; padding-bottom: 2rem; font-size: 0.85rem; border-top: 1px solid var(--line); }
@media (max-width: 34rem) {
  body { font-size: 14px; }
  .page-head, main, .page-foot { padding-left: 0.75rem; padding-right: 0.75rem; }
  h1 { font-size: 1.35rem; }
  .objective-head { flex-direction: column; gap: 0.5rem; }
  .score { flex-direction: row; gap: 0.6rem; padding: 0.3rem 0.75rem; min-width: 0; }
  .score-value { font-size: 1.35rem; }
  .card { padding: 0.85rem; }
}
@media print {
  body { background: #fff; }
  .card, .review-block { break-inside: avoid; }
}
"""

PLANS_CSS = """
h4 { line-height: 1.25; margin: 0.1rem 0 0.5rem; font-size: 1rem; overflow-wrap: anywhere; }
.contents { margin: 0.75rem 0 0.25rem; padding: 0.75rem 1rem; background: var(--card); border: 1px solid var(--line); border-radius: 0.75rem; }
.contents-title { font-size: 0.78rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.contents ol { margin: 0.35rem 0 0; padding-left: 1.4rem; }
.contents li { margin: 0.2rem 0; overflow-wrap: anywhere; }
.contents a { color: var(--accent); font-weight: 600; }
.plan { border-top: 3px solid var(--text); margin: 2rem 0; padding-top: 1rem; scroll-margin-top: 0.5rem; }
.plan-head h2 { font-size: 1.45rem; }
.objective-title h3, .projects > h3, .review > h3 { font-size: 1.25rem; margin: 0; }
@media (max-width: 34rem) {
  .plan-head h2 { font-size: 1.35rem; }
  .objective-title h3 { font-size: 1.15rem; }
}
"""
