"""Figures compared across pages, for the theme to draw: a metric that several solutions (or
sectors) give with the same label and unit becomes a table with a bar in each row. The
table is readable without the bars; the bars are plain SVG, with no chart script."""

from decimal import Decimal, InvalidOperation


def comparisons(pages: list[dict], at_least: int = 2, most: int | None = None) -> list[dict]:
    """The metrics that at least `at_least` of `pages` give with the same label and unit,
    each as {label, unit, rows, count}; rows from the largest figure down (the `most`
    largest, when given, of the `count` that give it), each with its page, its metric and
    the share of the largest figure that its bar spans (`low`, and `high` for a range), in
    percent."""
    groups: dict[tuple[str, str], list[tuple[dict, dict, Decimal, Decimal]]] = {}
    for page in pages:
        seen = set()
        for metric in page.get("metrics") or []:
            key = (metric["label"], metric["unit"])
            low = _number(metric["value"])
            if key in seen or low is None:
                continue
            seen.add(key)
            high = _number(metric.get("value_max")) or low
            groups.setdefault(key, []).append((page, metric, max(low, 0), max(high, low, 0)))
    charts = []
    for (label, unit), rows in groups.items():
        largest = max(high for *_, high in rows)
        if len(rows) < at_least or largest <= 0:
            continue
        rows.sort(key=lambda row: (-row[3], row[0]["title"]))
        charts.append(
            {
                "label": label,
                "unit": unit,
                "count": len(rows),
                "rows": [
                    {
                        "page": page,
                        "metric": metric,
                        "low": _percent(low, largest),
                        "high": _percent(high, largest),
                    }
                    for page, metric, low, high in rows[:most]
                ],
            }
        )
    return charts


def chart_inputs(pages: list[dict]) -> list:
    """What `comparisons` reads of `pages`: an incremental build renders a page that draws
    them again when one of these changes."""
    return [
        [page["url"], page["title"], page.get("metrics") or []]
        for page in pages
        if page.get("metrics")
    ]


def _number(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _percent(part: Decimal, whole: Decimal) -> float:
    return round(float(part / whole * 100), 1)
