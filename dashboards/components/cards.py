"""Cards (one chart or view per tag), collapsible groups of cards, and empty states."""

from __future__ import annotations

from dash import html


def card(title: str, body: list, *, actions: list | None = None, info=None,
         subtitle: str | None = None, class_name: str = "card",
         attrs: dict | None = None) -> html.Div:
    head = [html.Div(className="card-titles", children=[
        html.Span(title, className="card-title", title=title),
        html.Span(subtitle, className="card-subtitle") if subtitle else None,
    ])]
    if actions:
        head.append(html.Div(actions, className="card-actions"))
    children = [html.Div(head, className="card-head"), *body]
    if info is not None:
        children.append(html.Div(info, className="card-info"))
    return html.Div(children, className=class_name, **(attrs or {}))


def group_section(title: str, children: list, *, count: int | None = None) -> html.Details:
    n = len(children) if count is None else count
    return html.Details(open=True, className="group", children=[
        html.Summary([html.Span(title, className="group-title"),
                      html.Span(f"{n}", className="group-count")]),
        html.Div(children, className="card-grid"),
    ])


def empty_state(text: str, *, loading: bool = False) -> html.Div:
    return html.Div(className="empty-state", children=[
        html.Div(className="spinner") if loading else None,
        html.Span(text),
    ])
