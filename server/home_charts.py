"""The home page's two drawings, as SVG made on the server: a timeline of the
pilot programmes and a map of the pilot zones.

Everything here is pure: plain numbers and small dataclasses in, an SVG string
out, so that the layout (scales, ticks, the map projection, where labels and
markers go) is tested without a store or a browser. Nothing is tied to the
seeds: the year axis covers whatever dates the data has, the map frames
whatever points it has.

The map uses an Albers equal-area conic projection on the sphere (Snyder,
*Map Projections: A Working Manual*, 1987, eqs. 14-1 to 14-6 and 14-8 to 14-11),
written out below. No boundary or coastline data is drawn (none ships with the
project): the graticule and the province-level divisions' own points, from the
data, give the reader their bearings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from markupsafe import escape

# Programme colours (colour-blind-safe, readable on white); past the last one the
# colours repeat with hollow markers (see :func:`programme_style`).
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c564b", "#7f7f7f", "#332288",
           "#999933")
NO_PROGRAMME_COLOUR = "#555555"
INK = "#1d232a"
MUTED = "#5b6670"
GRID = "#d9dee3"
FAINT = "#eef1f4"


def programme_style(index: int | None) -> tuple[str, bool]:
    """(colour, filled) of the programme at ``index`` in the colour order; None: in no programme."""
    if index is None or index < 0:
        return NO_PROGRAMME_COLOUR, True
    return PALETTE[index % len(PALETTE)], index < len(PALETTE)


# --------------------------------------------------------------------------- SVG text


def num(value: float) -> str:
    """A coordinate for an SVG attribute: at most two decimals, no trailing zeros, never ``-0``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def el(tag: str, attrs: dict | None = None, *children: str) -> str:
    """One SVG element; attribute values and nothing else are escaped here (children are SVG already).
    Attributes whose value is None are left out; float values go through :func:`num`."""
    parts = [tag]
    for key, value in (attrs or {}).items():
        if value is None:
            continue
        if isinstance(value, float):
            value = num(value)
        parts.append(f'{key.rstrip("_").replace("_", "-")}="{escape(str(value))}"')
    head = " ".join(parts)
    if not children:
        return f"<{head}/>"
    return f"<{head}>{''.join(children)}</{tag}>"


def text_el(x: float, y: float, content: str, **attrs) -> str:
    return el("text", {"x": float(x), "y": float(y), **attrs}, str(escape(content)))


def title_el(content: str) -> str:
    return f"<title>{escape(content)}</title>"


# --------------------------------------------------------------------------- text metrics


def char_width(char: str) -> float:
    """The width of one character in ems, on the wide side of common sans-serif faces (DejaVu Sans),
    so that a label estimated to fit does fit (a server has no font metrics)."""
    code = ord(char)
    if code >= 0x2E80 or 0xFF00 <= code <= 0xFFEF:  # CJK, kana, full-width forms
        return 1.0
    if char in "ijl.,:;'|!":
        return 0.28
    if char in " ft()[]-/":
        return 0.36
    if char in "mwMW":
        return 0.94
    if char.isupper():
        return 0.72
    if char.isdigit():
        return 0.64
    return 0.6


def text_width(text: str, font_size: float) -> float:
    """An estimate of the width of ``text`` at ``font_size`` (an upper bound for most Latin text)."""
    return sum(char_width(c) for c in text) * font_size


def fit_text(text: str, max_width: float, font_size: float) -> str:
    """``text``, or its longest prefix that fits in ``max_width`` followed by an ellipsis."""
    if text_width(text, font_size) <= max_width:
        return text
    room = max_width - text_width("…", font_size)
    out, used = "", 0.0
    for char in text:
        used += char_width(char) * font_size
        if used > room:
            break
        out += char
    return out.rstrip(" ,;:-") + "…"


# --------------------------------------------------------------------------- scales


@dataclass(frozen=True)
class LinearScale:
    """Maps the interval ``domain`` onto ``range`` linearly (increasing or decreasing)."""

    domain: tuple[float, float]
    range: tuple[float, float]

    def __call__(self, value: float) -> float:
        d0, d1 = self.domain
        r0, r1 = self.range
        if d1 == d0:
            return (r0 + r1) / 2
        return r0 + (value - d0) * (r1 - r0) / (d1 - d0)


def year_step(first: int, last: int, max_ticks: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... years giving at most ``max_ticks`` ticks over [first, last]."""
    span = max(1, last - first)
    max_ticks = max(2, max_ticks)
    step = 1
    while True:
        for factor in (1, 2, 5):
            candidate = step * factor
            if span / candidate + 1 <= max_ticks:
                return candidate
        step *= 10


def year_ticks(first: int, last: int, max_ticks: int) -> list[int]:
    """Years on an axis from ``first`` to ``last`` (whole years): the multiples of :func:`year_step`."""
    step = year_step(first, last, max_ticks)
    start = math.ceil(first / step) * step
    return list(range(start, last + 1, step))


def year_axis(points: Iterable[float], *, lead_in: bool = False, open_end: bool = False) -> tuple[int, int]:
    """The whole years an axis must cover to show every point (fractional years): one more
    year before the first if a start is drawn as a lead-in, one more after the last if a bar
    runs open to the right edge. (0, 0) when there is no point."""
    values = [p for p in points if p is not None and math.isfinite(p)]
    if not values:
        return 0, 0
    first = math.floor(min(values)) - (1 if lead_in else 0)
    last = math.ceil(max(values)) + (1 if open_end else 0)
    if last <= first:
        last = first + 1
    return first, last


# --------------------------------------------------------------------------- geometry helpers


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in screen units (y downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: "Box", gap: float = 0.0) -> bool:
        return not (self.x1 + gap <= other.x0 or other.x1 + gap <= self.x0
                    or self.y1 + gap <= other.y0 or other.y1 + gap <= self.y0)

    def inside(self, other: "Box") -> bool:
        return self.x0 >= other.x0 and self.y0 >= other.y0 and self.x1 <= other.x1 and self.y1 <= other.y1


def label_box(x: float, baseline: float, width: float, font_size: float, anchor: str = "start") -> Box:
    """The box a label of ``width`` takes when drawn at (x, baseline) with ``text-anchor`` ``anchor``."""
    left = x if anchor == "start" else (x - width if anchor == "end" else x - width / 2)
    return Box(left, baseline - 0.8 * font_size, left + width, baseline + 0.25 * font_size)


def place_row_label(x: float, width: float, left: float, right: float) -> float:
    """Where a label that should start at ``x`` starts so that it stays within [left, right]:
    at ``x`` if it fits, else moved left until its end meets ``right``, never before ``left``."""
    if x + width <= right:
        return max(left, x)
    return max(left, right - width)


# Candidate spots for a label around a marker of radius r: (dx, dy, text-anchor), best first.
def _label_candidates(r: float, font_size: float) -> list[tuple[float, float, str]]:
    gap = r + 3
    mid = font_size * 0.35
    return [
        (gap, mid, "start"), (-gap, mid, "end"),
        (0, -gap - 1, "middle"), (0, gap + font_size * 0.8, "middle"),
        (gap * 0.8, -gap * 0.6, "start"), (-gap * 0.8, -gap * 0.6, "end"),
        (gap * 0.8, gap * 0.6 + font_size * 0.6, "start"), (-gap * 0.8, gap * 0.6 + font_size * 0.6, "end"),
    ]


@dataclass(frozen=True)
class PlacedLabel:
    """Where a label goes: its anchor point (x, baseline y), its ``text-anchor`` and its box."""

    x: float
    y: float
    anchor: str
    box: Box


def place_point_labels(items: Sequence[tuple[float, float, str]], obstacles: Sequence[Box], bounds: Box,
                       font_size: float, radius: float) -> list[PlacedLabel | None]:
    """Greedy labelling of points: each (x, y, text), in order, gets the first spot around it
    (right, left, above, below, then the diagonals) whose box stays inside ``bounds`` and
    overlaps no obstacle and no label placed before it; None when no spot is free."""
    taken = _BoxGrid(font_size * 2)
    for obstacle in obstacles:
        taken.add(obstacle)
    placed: list[PlacedLabel | None] = []
    for x, y, text in items:
        width = text_width(text, font_size)
        choice = None
        for dx, dy, anchor in _label_candidates(radius, font_size):
            box = label_box(x + dx, y + dy, width, font_size, anchor)
            if box.inside(bounds) and not taken.overlaps(box, 1.0):
                choice = PlacedLabel(x + dx, y + dy, anchor, box)
                break
        if choice is not None:
            taken.add(choice.box)
        placed.append(choice)
    return placed


def spread_markers(points: Sequence[tuple[float, float]], radius: float, gap: float = 1.5) -> list[tuple[float, float]]:
    """Where to draw markers of ``radius`` so that none hides another.

    Points are taken in order: a marker stays on its point when that is free, else it
    goes to the first free spot on rings around the point (ring k at distance
    k·(2·radius + gap), 6k spots on it, from due east anticlockwise, every other ring
    turned by half a step). Deterministic: the same points in the same order give the
    same places."""
    min_distance = 2 * radius + gap
    placed: list[tuple[float, float]] = []
    near = _PointGrid(min_distance)  # the placed markers by grid cell: only neighbouring cells can be too close
    for x, y in points:
        spot = (x, y)
        ring = 0
        while near.any_within(spot, min_distance):
            ring += 1
            found = None
            for k in range(6 * ring):
                angle = 2 * math.pi * k / (6 * ring) + (math.pi / (6 * ring) if ring % 2 == 0 else 0.0)
                candidate = (x + ring * min_distance * math.cos(angle), y - ring * min_distance * math.sin(angle))
                if not near.any_within(candidate, min_distance):
                    found = candidate
                    break
            if found is not None:
                spot = found
                break
        placed.append(spot)
        near.add(spot)
    return placed


class _PointGrid:
    """Points bucketed in square cells of side ``cell``: a point closer than ``cell`` to a
    query lies in one of the 3 × 3 cells around it, so a lookup costs a few comparisons,
    not one per point (the map has thousands of markers at 1M quads)."""

    def __init__(self, cell: float):
        self.cell = cell
        self.cells: dict[tuple[int, int], list[tuple[float, float]]] = {}

    def add(self, point: tuple[float, float]) -> None:
        key = (math.floor(point[0] / self.cell), math.floor(point[1] / self.cell))
        self.cells.setdefault(key, []).append(point)

    def any_within(self, point: tuple[float, float], distance: float) -> bool:
        """Whether a point is closer than ``distance`` (at most ``cell``) to ``point``."""
        cx, cy = math.floor(point[0] / self.cell), math.floor(point[1] / self.cell)
        for gx in (cx - 1, cx, cx + 1):
            for gy in (cy - 1, cy, cy + 1):
                for other in self.cells.get((gx, gy), ()):
                    if math.dist(point, other) < distance:
                        return True
        return False


class _BoxGrid:
    """Boxes bucketed by the grid cells (side ``cell``) they cover, for overlap tests against
    only the boxes nearby; the answer is the same as testing every box."""

    def __init__(self, cell: float):
        self.cell = cell
        self.cells: dict[tuple[int, int], list[Box]] = {}

    def _keys(self, x0: float, y0: float, x1: float, y1: float):
        for gx in range(math.floor(x0 / self.cell), math.floor(x1 / self.cell) + 1):
            for gy in range(math.floor(y0 / self.cell), math.floor(y1 / self.cell) + 1):
                yield gx, gy

    def add(self, box: Box) -> None:
        for key in self._keys(box.x0, box.y0, box.x1, box.y1):
            self.cells.setdefault(key, []).append(box)

    def overlaps(self, box: Box, gap: float = 0.0) -> bool:
        """Whether ``box`` overlaps (``Box.overlaps`` with ``gap``) any box added."""
        for key in self._keys(box.x0 - gap, box.y0 - gap, box.x1 + gap, box.y1 + gap):
            if any(box.overlaps(other, gap) for other in self.cells.get(key, ())):
                return True
        return False


# --------------------------------------------------------------------------- projection


@dataclass(frozen=True)
class AlbersConic:
    """Albers equal-area conic projection of the sphere (radius 1).

    With φ1, φ2 the standard parallels, φ0 the latitude of origin and λ0 the central meridian:
    n = (sin φ1 + sin φ2) / 2, C = cos²φ1 + 2n sin φ1, ρ(φ) = √(C − 2n sin φ) / n,
    θ = n (λ − λ0); then x = ρ sin θ, y = ρ(φ0) − ρ cos θ (north up).
    The defaults (105°E, 25°N and 47°N) are the usual parameters for maps of China:
    scale is true along the two parallels and areas are preserved everywhere.
    """

    central_meridian: float = 105.0
    standard_parallels: tuple[float, float] = (25.0, 47.0)
    origin_latitude: float = 0.0

    @property
    def n(self) -> float:
        p1, p2 = (math.radians(p) for p in self.standard_parallels)
        return (math.sin(p1) + math.sin(p2)) / 2

    @property
    def c(self) -> float:
        p1 = math.radians(self.standard_parallels[0])
        return math.cos(p1) ** 2 + 2 * self.n * math.sin(p1)

    def _rho(self, lat: float) -> float:
        return math.sqrt(self.c - 2 * self.n * math.sin(math.radians(lat))) / self.n

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        """(x, y) on the unit sphere's projection plane; y grows northwards."""
        if abs(self.n) < 1e-9:
            raise ValueError("standard parallels symmetric about the equator: use a cylindrical projection")
        dlon = (lon - self.central_meridian + 180.0) % 360.0 - 180.0
        theta = self.n * math.radians(dlon)
        rho = self._rho(lat)
        return rho * math.sin(theta), self._rho(self.origin_latitude) - rho * math.cos(theta)

    def inverse(self, x: float, y: float) -> tuple[float, float]:
        """(lon, lat) of a projected point (Snyder eqs. 14-8 to 14-11)."""
        n, rho0 = self.n, self._rho(self.origin_latitude)
        sign = 1.0 if n > 0 else -1.0
        rho = sign * math.hypot(x, rho0 - y)
        theta = math.atan2(sign * x, sign * (rho0 - y))
        sin_lat = (self.c - (rho * n) ** 2) / (2 * n)
        lat = math.degrees(math.asin(max(-1.0, min(1.0, sin_lat))))
        lon = self.central_meridian + math.degrees(theta / n)
        return (lon + 180.0) % 360.0 - 180.0, lat


@dataclass(frozen=True)
class Viewport:
    """Projected units → screen units: screen_x = offset_x + scale·x, screen_y = offset_y − scale·y."""

    scale: float
    offset_x: float
    offset_y: float

    def to_screen(self, x: float, y: float) -> tuple[float, float]:
        return self.offset_x + self.scale * x, self.offset_y - self.scale * y

    def from_screen(self, sx: float, sy: float) -> tuple[float, float]:
        return (sx - self.offset_x) / self.scale, (self.offset_y - sy) / self.scale


def fit_viewport(points: Sequence[tuple[float, float]], frame: Box, padding: float = 0.08,
                 min_extent: float = 0.12) -> Viewport:
    """The viewport that shows every projected point inside ``frame`` (screen box) at one scale,
    centred, with ``padding`` (a fraction of the extent) on each side, and at least
    ``min_extent`` projected units (0.12 ≈ 7° of arc) across so that one point or a tight
    cluster is not blown up to fill the map."""
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    width = max(max(xs) - min(xs), min_extent)
    height = max(max(ys) - min(ys), min_extent)
    width *= 1 + 2 * padding
    height *= 1 + 2 * padding
    scale = min((frame.x1 - frame.x0) / width, (frame.y1 - frame.y0) / height)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return Viewport(scale, (frame.x0 + frame.x1) / 2 - scale * cx, (frame.y0 + frame.y1) / 2 + scale * cy)


def graticule_step(lon_span: float) -> int:
    """Degrees between graticule lines: 5° for a regional map, 10° beyond 50° of longitude, 20° beyond 120°."""
    if lon_span > 120:
        return 20
    return 10 if lon_span > 50 else 5


def crossing(polyline: Sequence[tuple[float, float]], axis: int, value: float) -> float | None:
    """Where a polyline first crosses the line ``coordinate[axis] == value``: the other coordinate
    (linear interpolation between its vertices), or None if it never does."""
    for (a, b) in zip(polyline, polyline[1:]):
        da, db = a[axis] - value, b[axis] - value
        if da == 0:
            return a[1 - axis]
        if da * db < 0:
            t = da / (da - db)
            return a[1 - axis] + t * (b[1 - axis] - a[1 - axis])
    if polyline and polyline[-1][axis] == value:
        return polyline[-1][1 - axis]
    return None


def lonlat_extent(projection: AlbersConic, viewport: Viewport, frame: Box, samples: int = 24) -> tuple[float, float, float, float]:
    """(min lon, max lon, min lat, max lat) of what the frame shows, from points sampled along its edges."""
    lons, lats = [], []
    for i in range(samples + 1):
        t = i / samples
        for sx, sy in ((frame.x0 + t * (frame.x1 - frame.x0), frame.y0), (frame.x0 + t * (frame.x1 - frame.x0), frame.y1),
                       (frame.x0, frame.y0 + t * (frame.y1 - frame.y0)), (frame.x1, frame.y0 + t * (frame.y1 - frame.y0))):
            lon, lat = projection.inverse(*viewport.from_screen(sx, sy))
            lons.append(lon)
            lats.append(lat)
    return min(lons), max(lons), max(-89.0, min(lats)), min(89.0, max(lats))


EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


def nice_distance(max_km: float) -> float:
    """The longest of 1, 2, 2.5, 5 × 10^k km that is at most ``max_km`` (for a scale bar)."""
    if max_km <= 0 or not math.isfinite(max_km):
        return 0.0
    power = 10 ** math.floor(math.log10(max_km))
    return max(f * power for f in (1, 2, 2.5, 5) if f * power <= max_km)


def scale_bar(projection: AlbersConic, viewport: Viewport, lon: float, lat: float, max_px: float) -> tuple[float, float]:
    """(km, px): a round distance along the parallel through (lon, lat) and its length on screen,
    at most ``max_px`` long. An equal-area conic keeps scale true only on its standard parallels,
    so the bar says which parallel it measures."""
    a = viewport.to_screen(*projection.project(lon - 0.5, lat))
    b = viewport.to_screen(*projection.project(lon + 0.5, lat))
    px_per_km = math.dist(a, b) / (EARTH_RADIUS_KM * math.cos(math.radians(lat)) * math.radians(1.0))
    km = nice_distance(max_px / px_per_km)
    return km, km * px_per_km


def format_lon(lon: float) -> str:
    value = round(lon) % 360
    value = value - 360 if value > 180 else value
    return "180°" if value == 180 else (f"{value}°E" if value > 0 else (f"{-value}°W" if value < 0 else "0°"))


def format_lat(lat: float) -> str:
    value = round(lat)
    return f"{value}°N" if value > 0 else (f"{-value}°S" if value < 0 else "0°")


# --------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineMarker:
    """A dated event on a programme's row: ``shape`` is ``batch`` (a diamond) or ``policy`` (a square)."""

    at: float  # fractional year
    shape: str
    title: str
    href: str | None = None


@dataclass(frozen=True)
class TimelineRow:
    """One programme: start and end as fractional years; ``start_stated`` False when the start
    is only the earliest dated event (the programme ran by then); ``end`` None when open.
    ``period`` is the period in words, written after the label."""

    label: str
    href: str | None
    title: str
    colour_index: int
    start: float | None
    end: float | None
    start_stated: bool = True
    markers: tuple[TimelineMarker, ...] = ()
    period: str = ""

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None or bool(self.markers)

    @property
    def anchor(self) -> float | None:
        """Where the bar's solid part begins: the start, else the first marker, else the end."""
        if self.start is not None:
            return self.start
        candidates = [m.at for m in self.markers] + ([self.end] if self.end is not None else [])
        return min(candidates) if candidates else None


TIMELINE_WIDTH = 960
ROW_HEIGHT = 46
AXIS_HEIGHT = 30
BAR_HEIGHT = 14
LEAD_IN_YEARS = 0.9
FADE_PX = 56
LABEL_SIZE = 13
LEGEND_SIZE = 11.5
MIN_TICK_SPACING = 64


@dataclass(frozen=True)
class TimelineLayout:
    """The axis of the timeline: whole years ``first_year``..``last_year`` mapped onto [left, right]."""

    width: float
    left: float
    right: float
    first_year: int
    last_year: int
    ticks: tuple[int, ...] = ()
    labels_centred: bool = False

    @property
    def x(self) -> LinearScale:
        return LinearScale((self.first_year, self.last_year), (self.left, self.right))


def timeline_layout(rows: Sequence[TimelineRow], width: float = TIMELINE_WIDTH) -> TimelineLayout:
    """The axis covering every start, end and marker of the dated rows, with one year of room
    before a start that is not stated (its lead-in) and after an open end (its fade). With
    yearly ticks, each year's name is centred in its year; otherwise it sits on its tick."""
    dated = [r for r in rows if r.dated]
    points: list[float] = []
    for r in dated:
        points += [p for p in (r.start, r.end) if p is not None]
        points += [m.at for m in r.markers]
    lead_in = any(not r.start_stated or r.start is None for r in dated)
    open_end = any(r.end is None for r in dated)
    first, last = year_axis(points, lead_in=lead_in, open_end=open_end)
    left, right = 16.0, width - 16.0
    if not dated:
        return TimelineLayout(width, left, right, first, last)
    max_ticks = int((right - left) // MIN_TICK_SPACING)
    ticks = tuple(year_ticks(first, last, max_ticks))
    return TimelineLayout(width, left, right, first, last, ticks, year_step(first, last, max_ticks) == 1)


def row_label(label: str, period: str, room: float, font_size: float) -> tuple[str, float]:
    """The row's label, shortened with an ellipsis so that it and its period fit in ``room``,
    and the width of both together."""
    gap = font_size * 0.8
    period_width = text_width(period, font_size) if period else 0.0
    label = fit_text(label, max(room - period_width - gap, room * 0.4), font_size)
    return label, text_width(label, font_size) + (gap + period_width if period else 0.0)


def _gradient(identifier: str, colour: str, fade_in: bool) -> str:
    stops = [el("stop", {"offset": "0", "stop-color": colour, "stop-opacity": "0" if fade_in else "1"}),
             el("stop", {"offset": "1", "stop-color": colour, "stop-opacity": "1" if fade_in else "0"})]
    return el("linearGradient", {"id": identifier, "x1": "0", "x2": "1", "y1": "0", "y2": "0"}, *stops)


def _diamond(cx: float, cy: float, r: float) -> str:
    return f"M{num(cx)} {num(cy - r)}L{num(cx + r)} {num(cy)}L{num(cx)} {num(cy + r)}L{num(cx - r)} {num(cy)}Z"


def _marker_svg(marker: TimelineMarker, x: float, y: float) -> str:
    shape = (el("path", {"d": _diamond(x, y, 6.5), "fill": "#fff", "stroke": INK, "stroke-width": "1.5"})
             if marker.shape == "batch" else
             el("rect", {"x": x - 4.5, "y": y - 4.5, "width": "9", "height": "9", "fill": INK, "stroke": "#fff",
                         "stroke-width": "1"}))
    inner = title_el(marker.title) + shape
    attrs = {"class": f"marker {marker.shape}", "data-at": f"{marker.at:.4f}"}
    return el("a", {"href": marker.href, **attrs}, inner) if marker.href else el("g", attrs, inner)


def _row_svg(i: int, row: TimelineRow, layout: TimelineLayout, y0: float) -> tuple[str, list[str]]:
    """One dated row (label, lead-in, bar, open end, markers) and the gradients it needs."""
    x = layout.x
    colour, _filled = programme_style(row.colour_index)
    bar_y = y0 + 22
    anchor = row.anchor
    sx = x(anchor)
    defs: list[str] = []
    parts: list[str] = [title_el(row.title)]
    bar_left = sx
    if not row.start_stated or row.start is None:  # not stated: a lead-in fading in towards the first date
        lead = x(anchor - LEAD_IN_YEARS)
        defs.append(_gradient(f"timeline-in-{i}", colour, fade_in=True))
        parts.append(el("rect", {"class": "lead-in", "x": lead, "y": float(bar_y), "width": sx - lead,
                                 "height": float(BAR_HEIGHT), "fill": f"url(#timeline-in-{i})"}))
        parts.append(el("line", {"class": "start-bound", "x1": sx, "x2": sx, "y1": float(bar_y - 3),
                                 "y2": float(bar_y + BAR_HEIGHT + 3), "stroke": INK, "stroke-width": "1.2",
                                 "stroke-dasharray": "3 2"}))
        bar_left = lead
    if row.end is not None:
        solid_end = max(x(row.end), sx + 4)
    else:
        solid_end = max(sx + 4, layout.right - FADE_PX)
    parts.append(el("rect", {"class": "bar", "x": sx, "y": float(bar_y), "width": solid_end - sx,
                             "height": float(BAR_HEIGHT), "fill": colour, "data-start": f"{anchor:.4f}",
                             "data-end": f"{row.end:.4f}" if row.end is not None else "open"}))
    if row.end is None:
        defs.append(_gradient(f"timeline-out-{i}", colour, fade_in=False))
        parts.append(el("rect", {"class": "open-end", "x": solid_end, "y": float(bar_y),
                                 "width": max(layout.right, solid_end + FADE_PX / 2) - solid_end,
                                 "height": float(BAR_HEIGHT), "fill": f"url(#timeline-out-{i})"}))
    label, width = row_label(row.label, row.period, layout.right - layout.left, LABEL_SIZE)
    lx = place_row_label(bar_left, width, layout.left, layout.right)
    spans = [str(escape(label))]
    if row.period:
        spans.append(el("tspan", {"class": "period", "fill": MUTED, "dx": f"{num(LABEL_SIZE * 0.8)}"}, str(escape(row.period))))
    parts.append(el("text", {"x": lx, "y": float(y0 + 16), "font-size": str(LABEL_SIZE), "fill": INK,
                             "class": "row-label"}, *spans))
    link = el("a", {"href": row.href, "class": "programme"}, *parts) if row.href else el("g", {"class": "programme"}, *parts)
    markers = [_marker_svg(m, x(m.at), bar_y + BAR_HEIGHT / 2) for m in row.markers]
    return el("g", {"class": "row", "data-programme": row.href}, link, *markers), defs


def timeline_svg(rows: Sequence[TimelineRow], width: float = TIMELINE_WIDTH) -> str:
    """The timeline as an ``<svg id="timeline">``: a year axis, one row per dated programme
    (its label and period, its bar, a link to its page, a tooltip), batch approvals and
    policies issued as markers, the undated programmes listed under the axis, and a legend."""
    layout = timeline_layout(rows, width)
    dated = [r for r in rows if r.dated]
    undated = [r for r in rows if not r.dated]
    x = layout.x
    defs: list[str] = []
    body: list[str] = []
    top = AXIS_HEIGHT
    y = top

    if not dated:
        message = "No pilot programme in the data." if not rows else "No programme has a date in the data."
        body.append(text_el(width / 2, top + 8, message, text_anchor="middle", fill=MUTED, font_size=LABEL_SIZE,
                            class_="empty"))
        y = top + 16
    else:
        bottom = top + ROW_HEIGHT * len(dated)
        grid, labels = [], []
        for year in layout.ticks:
            grid.append(el("line", {"x1": x(year), "x2": x(year), "y1": float(top - 6), "y2": float(bottom),
                                    "stroke": GRID, "stroke-width": "1"}))
            if not layout.labels_centred:
                labels.append(text_el(x(year), top - 12, str(year), text_anchor="middle", font_size="12", fill=MUTED))
            elif year < layout.last_year:
                labels.append(text_el(x(year + 0.5), top - 12, str(year), text_anchor="middle", font_size="12",
                                      fill=MUTED))
        body.append(el("g", {"class": "axis"}, *grid, *labels))
        for i, row in enumerate(dated):
            row_svg, row_defs = _row_svg(i, row, layout, top + i * ROW_HEIGHT)
            body.append(row_svg)
            defs += row_defs
        y = bottom

    if undated and dated:
        y += 16
        body.append(text_el(layout.left, y, "Not on the axis, no date in the data:", font_size="12", fill=MUTED))
    for row in undated:
        y += 22
        label, _w = row_label(row.label, "", layout.right - layout.left - 12, LABEL_SIZE)
        inner = title_el(row.title) + text_el(layout.left + (12 if dated else 0), y, label, font_size=str(LABEL_SIZE),
                                              fill=INK, class_="row-label")
        body.append(el("g", {"class": "row undated", "data-programme": row.href},
                       el("a", {"href": row.href, "class": "programme"}, inner) if row.href else inner))
    if dated:
        legend, legend_height = _timeline_legend(layout.left, y + 26, layout.right)
        body.append(legend)
        y += 26 + legend_height
    height = y + 10
    return el("svg", {"id": "timeline", "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {num(width)} {num(height)}",
                      "role": "img", "aria-labelledby": "timeline-title", "class": "chart",
                      "data-first-year": str(layout.first_year), "data-last-year": str(layout.last_year),
                      "data-left": layout.left, "data-right": layout.right},
              el("title", {"id": "timeline-title"}, "Timeline of the pilot programmes"),
              el("defs", {}, *defs) if defs else "", *body)


def _timeline_legend(x0: float, y: float, right: float) -> tuple[str, float]:
    """The bar styles and markers explained, in as many lines as the width needs; (svg, height)."""
    sample = "#7f8a94"
    items = [el("defs", {}, _gradient("legend-in", sample, True), _gradient("legend-out", sample, False))]
    entries = [
        ("stated period", [el("rect", {"x": 0.0, "y": -6.0, "width": "28", "height": "10", "fill": sample})]),
        ("start not stated: running by the dashed line",
         [el("rect", {"x": 0.0, "y": -6.0, "width": "14", "height": "10", "fill": "url(#legend-in)"}),
          el("rect", {"x": 14.0, "y": -6.0, "width": "14", "height": "10", "fill": sample}),
          el("line", {"x1": 14.0, "x2": 14.0, "y1": -8.0, "y2": 6.0, "stroke": INK, "stroke-width": "1.2",
                      "stroke-dasharray": "3 2"})]),
        ("no end stated", [el("rect", {"x": 0.0, "y": -6.0, "width": "14", "height": "10", "fill": sample}),
                           el("rect", {"x": 14.0, "y": -6.0, "width": "14", "height": "10", "fill": "url(#legend-out)"})]),
        ("batch approved", [el("path", {"d": _diamond(14, -1, 6), "fill": "#fff", "stroke": INK, "stroke-width": "1.5"})]),
        ("policy issued", [el("rect", {"x": 9.5, "y": -5.5, "width": "9", "height": "9", "fill": INK})]),
    ]
    x, line = x0, 0
    for text, shapes in entries:
        entry_width = 34 + text_width(text, LEGEND_SIZE)
        if x + entry_width > right and x > x0:
            x, line = x0, line + 1
        dy = y + line * 20
        items.append(el("g", {"transform": f"translate({num(x)} {num(dy)})"}, *shapes,
                        text_el(34, 4, text, font_size=str(LEGEND_SIZE), fill=MUTED)))
        x += entry_width + 18
    return el("g", {"class": "legend"}, *items), 20 * (line + 1)


# --------------------------------------------------------------------------- map


@dataclass(frozen=True)
class MapZone:
    """A zone to place: its centroid (lon, lat), the programme colour, link and tooltip."""

    label: str
    href: str | None
    title: str
    lon: float
    lat: float
    colour_index: int | None
    iri: str = ""


@dataclass(frozen=True)
class Landmark:
    """A province-level division's own point, drawn for orientation."""

    label: str
    href: str | None
    title: str
    lon: float
    lat: float


MAP_WIDTH = 960
MARKER_RADIUS = 6.5
MAP_LABEL_SIZE = 11
LANDMARK_SIZE = 11.5


@dataclass(frozen=True)
class MapLayout:
    width: float
    height: float
    frame: Box
    viewport: Viewport
    projection: AlbersConic


def map_layout(points: Sequence[tuple[float, float]], projection: AlbersConic = AlbersConic(),
               width: float = MAP_WIDTH) -> MapLayout:
    """The map's size and viewport for the (lon, lat) points: the frame keeps the points'
    projected aspect, between 0.45 and 0.9 of the width."""
    projected = [projection.project(lon, lat) for lon, lat in points]
    margin_left, margin_right, margin_top, margin_bottom = 44.0, 12.0, 12.0, 30.0
    inner_w = width - margin_left - margin_right
    xs = [p[0] for p in projected] or [0.0]
    ys = [p[1] for p in projected] or [0.0]
    aspect = max(max(ys) - min(ys), 0.12) / max(max(xs) - min(xs), 0.12)
    inner_h = min(0.9, max(0.45, aspect)) * inner_w
    frame = Box(margin_left, margin_top, margin_left + inner_w, margin_top + inner_h)
    viewport = fit_viewport(projected, frame)
    return MapLayout(width, margin_top + inner_h + margin_bottom, frame, viewport, projection)


def zone_map_svg(zones: Sequence[MapZone], landmarks: Sequence[Landmark],
                 projection: AlbersConic = AlbersConic(), width: float = MAP_WIDTH) -> str:
    """The map as an ``<svg id="zone-map">``: graticule with degree labels, the landmarks
    (grey squares, labelled), and one linked circle per zone at its projected centroid —
    moved onto a ring around it, with a leader line, when another marker is already there."""
    if not zones and not landmarks:  # nothing to place: say so in a strip, not a blank map
        return el("svg", {"id": "zone-map", "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {num(width)} 64",
                          "role": "img", "aria-labelledby": "zone-map-title", "class": "chart empty"},
                  el("title", {"id": "zone-map-title"}, "Map of the pilot zones"),
                  el("rect", {"x": 0.5, "y": 0.5, "width": width - 1, "height": "63", "fill": "#f7fafc", "stroke": GRID}),
                  text_el(width / 2, 37, "No pilot zone with coordinates in the data.", text_anchor="middle",
                          fill=MUTED, font_size="14", class_="empty"))
    layout = map_layout([(z.lon, z.lat) for z in zones] + [(m.lon, m.lat) for m in landmarks], projection, width)
    frame, vp = layout.frame, layout.viewport

    def screen(lon: float, lat: float) -> tuple[float, float]:
        return vp.to_screen(*projection.project(lon, lat))

    parts: list[str] = [el("title", {"id": "zone-map-title"}, "Map of the pilot zones"),
                        el("defs", {}, el("clipPath", {"id": "zone-map-clip"},
                                          el("rect", {"x": frame.x0, "y": frame.y0, "width": frame.x1 - frame.x0,
                                                      "height": frame.y1 - frame.y0}))),
                        el("rect", {"class": "frame", "x": frame.x0, "y": frame.y0, "width": frame.x1 - frame.x0,
                                    "height": frame.y1 - frame.y0, "fill": "#f7fafc", "stroke": GRID})]

    # graticule
    lon0, lon1, lat0, lat1 = lonlat_extent(projection, vp, frame)
    step = graticule_step(lon1 - lon0)
    lines, labels = [], []
    for lon in range(math.floor(lon0 / step) * step, math.ceil(lon1 / step) * step + 1, step):
        line = [screen(lon, lat0 - 1 + 0.5 * k) for k in range(int((lat1 - lat0 + 2) / 0.5) + 1)]
        lines.append(el("polyline", {"points": " ".join(f"{num(a)},{num(b)}" for a, b in line)}))
        at = crossing(line, 1, frame.y1)
        if at is not None and frame.x0 + 12 <= at <= frame.x1 - 12:
            labels.append(text_el(at, frame.y1 + 15, format_lon(lon), text_anchor="middle", font_size="11", fill=MUTED))
    for lat in range(math.floor(lat0 / step) * step, math.ceil(lat1 / step) * step + 1, step):
        if abs(lat) >= 90:
            continue
        line = [screen(lon0 - 2 + 0.5 * k, lat) for k in range(int((lon1 - lon0 + 4) / 0.5) + 1)]
        lines.append(el("polyline", {"points": " ".join(f"{num(a)},{num(b)}" for a, b in line)}))
        at = crossing(line, 0, frame.x0)
        if at is not None and frame.y0 + 8 <= at <= frame.y1 - 4:
            labels.append(text_el(frame.x0 - 5, at + 4, format_lat(lat), text_anchor="end", font_size="11", fill=MUTED))
    parts.append(el("g", {"class": "graticule", "clip-path": "url(#zone-map-clip)", "fill": "none", "stroke": GRID,
                          "stroke-width": "0.8"}, *lines))
    parts.append(el("g", {"class": "graticule-labels"}, *labels))

    if not zones:
        parts.append(text_el((frame.x0 + frame.x1) / 2, frame.y0 + 24, "No pilot zone with coordinates in the data.",
                             text_anchor="middle", fill=MUTED, font_size="14", class_="empty"))

    # scale bar, bottom left, measured along the parallel through the middle of the frame
    mid_lon, mid_lat = projection.inverse(*vp.from_screen((frame.x0 + frame.x1) / 2, (frame.y0 + frame.y1) / 2))
    mid_lat = float(round(mid_lat))
    km, px = scale_bar(projection, vp, mid_lon, mid_lat, (frame.x1 - frame.x0) / 5)
    if km > 0:
        bx, by = frame.x0 + 12, frame.y1 - 14
        parts.append(el("g", {"class": "scale-bar", "stroke": INK, "stroke-width": "1.2"},
                        el("path", {"d": f"M{num(bx)} {num(by - 5)}V{num(by)}H{num(bx + px)}V{num(by - 5)}", "fill": "none"}),
                        text_el(bx + px + 6, by + 1, f"{km:g} km (along {format_lat(mid_lat)})", font_size="11",
                                fill=MUTED, stroke="none")))

    # markers: true positions, then spread so that none hides another
    true_points = [screen(z.lon, z.lat) for z in zones]
    order = sorted(range(len(zones)), key=lambda i: (true_points[i][1], true_points[i][0], zones[i].label))
    spread = spread_markers([true_points[i] for i in order], MARKER_RADIUS)
    shown = {i: spread[k] for k, i in enumerate(order)}

    # landmarks: a grey square and the name; their labels are placed before the zones' labels
    landmark_points = [screen(m.lon, m.lat) for m in landmarks]
    marker_boxes = [Box(x - MARKER_RADIUS, y - MARKER_RADIUS, x + MARKER_RADIUS, y + MARKER_RADIUS) for x, y in shown.values()]
    square_boxes = [Box(x - 3, y - 3, x + 3, y + 3) for x, y in landmark_points]
    landmark_labels = place_point_labels([(x, y, m.label) for (x, y), m in zip(landmark_points, landmarks)],
                                         marker_boxes + square_boxes, frame, LANDMARK_SIZE, 3)
    landmark_svg = []
    for (x, y), m, placed in zip(landmark_points, landmarks, landmark_labels):
        inner = [title_el(m.title), el("rect", {"x": x - 3, "y": y - 3, "width": "6", "height": "6", "fill": "#8a949c"})]
        if placed:
            inner.append(text_el(placed.x, placed.y, m.label, text_anchor=placed.anchor, font_size=str(LANDMARK_SIZE),
                                 fill="#6b757e", class_="landmark-label"))
        group = "".join(inner)
        landmark_svg.append(el("a", {"href": m.href, "class": "landmark"}, group) if m.href else el("g", {"class": "landmark"}, group))
    parts.append(el("g", {"class": "landmarks"}, *landmark_svg))

    taken = marker_boxes + square_boxes + [p.box for p in landmark_labels if p]
    zone_labels = place_point_labels([(shown[i][0], shown[i][1], zones[i].label) for i in order], taken, frame,
                                     MAP_LABEL_SIZE, MARKER_RADIUS)
    label_of = {i: zone_labels[k] for k, i in enumerate(order)}

    zone_svg, label_svg = [], []
    for i in order:
        zone = zones[i]
        colour, filled = programme_style(zone.colour_index)
        tx, ty = true_points[i]
        mx, my = shown[i]
        inner = [title_el(zone.title)]
        moved = math.dist((tx, ty), (mx, my)) > 0.01
        if moved:
            inner.append(el("line", {"class": "leader", "x1": tx, "y1": ty, "x2": mx, "y2": my, "stroke": INK,
                                     "stroke-width": "0.8"}))
            inner.append(el("circle", {"class": "zone-anchor", "cx": tx, "cy": ty, "r": "1.6", "fill": INK}))
        inner.append(el("circle", {"class": "zone-marker", "cx": mx, "cy": my, "r": MARKER_RADIUS,
                                   "fill": colour if filled else "#fff", "stroke": "#fff" if filled else colour,
                                   "stroke-width": "1.5" if filled else "2.5",
                                   "data-lon": repr(zone.lon), "data-lat": repr(zone.lat),
                                   "data-x": tx, "data-y": ty}))
        attrs = {"class": "zone", "data-zone": zone.iri or None, "aria-label": zone.label}
        zone_svg.append(el("a", {"href": zone.href, **attrs}, *inner) if zone.href else el("g", attrs, *inner))
        placed = label_of[i]
        if placed:
            label_svg.append(text_el(placed.x, placed.y, zone.label, text_anchor=placed.anchor, font_size=str(MAP_LABEL_SIZE),
                                     fill=INK, class_="zone-label"))
    parts.append(el("g", {"class": "zone-labels", "aria-hidden": "true"}, *label_svg))
    parts.append(el("g", {"class": "zones"}, *zone_svg))

    p = projection
    return el("svg", {"id": "zone-map", "xmlns": "http://www.w3.org/2000/svg",
                      "viewBox": f"0 0 {num(layout.width)} {num(layout.height)}", "role": "img",
                      "aria-labelledby": "zone-map-title", "class": "chart",
                      "data-projection": f"albers lon0={p.central_meridian} lat1={p.standard_parallels[0]} "
                                         f"lat2={p.standard_parallels[1]} lat0={p.origin_latitude}",
                      "data-scale": repr(vp.scale), "data-offset-x": repr(vp.offset_x), "data-offset-y": repr(vp.offset_y)},
              *parts)
