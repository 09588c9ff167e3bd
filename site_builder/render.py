"""What each page of the site is made of: template, title and context. Shared by the full
build (the Pelican plugin) and the preview renderer, so an editor's preview is rendered
exactly as the build would render it."""

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache, partial
from pathlib import Path, PurePosixPath
from typing import Any
from xml.sax.saxutils import escape

import feedgenerator
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PrefixLoader,
)
from markupsafe import Markup
from pelican.contents import Article, Content
from pelican.paginator import Paginator

from content_export.richtext import clean_html, dropped_links

from .charts import chart_inputs, comparisons
from .content import SOLUTION, SiteContent, slugify
from .contents import content_object, for_sitemap, hidden_page
from .redirects import redirect_files
from .site_settings import DEFAULT_THEME, THEMES, settings_digest

logger = logging.getLogger(__name__)
DEFAULT_THEME_DIR = THEMES / DEFAULT_THEME
RECENT = 20
# The recently-updated listing shows this many, on one page: every publish moves a solution
# to its top, so a paginated one would shift (and be rendered again) page after page.
RECENT_LISTED = 100
SECTION_PAGES = {
    "solutions.SolutionIndexPage": "solutions",
    "solutions.SectorIndexPage": "sectors",
    "glossary.GlossaryPage": "glossary",
}
TEMPLATES = {
    "home.HomePage": ("home", None),
    "home.ContentPage": ("content_page", None),
    "solutions.SolutionIndexPage": ("solution_index", "solutions"),
    "solutions.SectorIndexPage": ("sector_index", "sectors"),
    "solutions.SectorPage": ("sector", "sectors"),
    "solutions.SolutionPage": ("solution", "solutions"),
    "glossary.GlossaryPage": ("glossary", "glossary"),
}


@lru_cache(maxsize=65536)
def html(value: str | None, inline: bool = False) -> Markup:
    """Content HTML, sanitised once more here: nothing executable reaches a reader.
    Cached: a summary is shown on its page, its sectors, tags and the index."""
    clean = clean_html(value or "")
    if dropped := dropped_links(value or "", clean):
        logger.warning(
            "rich text: %d link(s) to an address not allowed removed: %.80r", dropped, value
        )
    if inline and clean.startswith("<p>") and clean.endswith("</p>") and clean.count("<p>") == 1:
        clean = clean[3:-4]
    return Markup(clean)


def media_url(file: str) -> str:
    """Where a snapshot image is served; a preview's new image stays on the CMS."""
    if file.startswith(("http://", "https://")):
        return file
    return "/media/" + PurePosixPath(file).name


def human_date(value: str) -> str:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%-d %B %Y")


FILTERS = {
    "html": html,
    "media_url": media_url,
    "date": human_date,
    "slug": slugify,
    "comparisons": comparisons,
}


def environment(settings: dict) -> Environment:
    """The Jinja environment of a theme, as Pelican makes it: the theme's templates first,
    the default theme's under "!default/" (a theme may extend them, as Pelican themes extend
    "!simple/"), the Jinja settings, and JINJA_FILTERS, JINJA_GLOBALS and JINJA_TESTS.
    Full builds, incremental builds and previews all render with it."""
    loader = ChoiceLoader(
        [
            FileSystemLoader(str(Path(settings["THEME"]) / "templates")),
            PrefixLoader({"!default": FileSystemLoader(str(DEFAULT_THEME_DIR / "templates"))}),
        ]
    )
    # A site's JINJA_ENVIRONMENT may set its own bytecode cache.
    jinja_settings = {"bytecode_cache": _template_cache(), **settings["JINJA_ENVIRONMENT"]}
    env = Environment(loader=loader, **jinja_settings)
    env.filters.update(settings.get("JINJA_FILTERS") or {})
    env.filters.update(FILTERS)  # after the site's: `html` is what keeps content safe
    env.globals.update(settings.get("JINJA_GLOBALS") or {})
    env.tests.update(settings.get("JINJA_TESTS") or {})
    return env


def _template_cache() -> FileSystemBytecodeCache | None:
    """Jinja's cache of compiled templates (a folder of the user's own in the temporary
    folder, keyed by each template's source), so that each build process does not compile the
    theme again; none where there is no such folder (a read-only file system)."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def _theme_files(theme: Path, folder: str) -> dict[str, Path]:
    """A theme's files under `folder` by name, over the default theme's (a theme has the
    default theme's static files unless it has its own of the same name)."""
    found = {}
    for root in dict.fromkeys([DEFAULT_THEME_DIR, Path(theme)]):
        base = root / folder
        for path in sorted(base.rglob("*")):
            if path.is_file():
                found[path.relative_to(base).as_posix()] = path
    return found


def assets(theme: Path) -> dict[str, tuple[str, bytes]]:
    """The theme's static files, each published under /assets/ with a name that carries
    its content hash (cacheable forever): {"site.css": ("/assets/site.1a2b3c4d5e.css", …)}."""
    found = {}
    for name, path in _theme_files(theme, "static").items():
        data = path.read_bytes()
        stem, dot, suffix = name.rpartition(".")
        fingerprint = hashlib.sha256(data).hexdigest()[:10]
        hashed = f"{stem}.{fingerprint}.{suffix}" if dot else f"{name}.{fingerprint}"
        found[name] = (f"/assets/{hashed}", data)
    return found


def theme_digest(theme: Path) -> str:
    """A hash of every file the theme uses: a change to any of them re-renders every page."""
    digest = hashlib.sha256()
    for root in dict.fromkeys([DEFAULT_THEME_DIR, Path(theme)]):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _card(solution: dict) -> tuple:
    """What a solution card (macros.solution_card) shows of a solution. Worked out once per
    loaded snapshot: the index, its sectors and tags all list the same cards."""
    card = solution.get("card_inputs")
    if card is None:
        figure = solution.get("key_figure") or {}
        cover = (solution.get("cover") or {}).get("image") or {}
        card = solution["card_inputs"] = (
            solution["url"],
            solution["title"],
            solution.get("summary", ""),
            tuple([(s["meta"]["slug"], s["title"]) for s in solution["sector_pages"]]),
            (figure.get("label"), figure.get("value"), figure.get("value_max"), figure.get("unit")),
            tuple(rendition["url"] for rendition in cover.get("renditions", [])),
        )
    return card


@dataclass
class Output:
    """One file of the site. `inputs` is everything it shows that is not in the theme or
    the site settings: two builds whose inputs are equal write the same bytes, so an
    incremental build reuses the file instead of rendering it again. The template's
    context is made only when the file is rendered (`make_context`; for a CMS page's own
    file, None: the renderer makes it from `document`)."""

    url: str
    template: str
    title: str
    make_context: Callable[[], dict] | None
    inputs: Any = field(default_factory=list)
    document: dict | None = None  # the CMS page it shows, if it shows one
    hidden: bool = False  # written but listed nowhere (a redirect's page, the 404 page)
    _key: tuple[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    @cached_property
    def save_as(self) -> str:
        path = self.url.lstrip("/")
        return path + "index.html" if self.url.endswith("/") else path

    def key(self, site_key: str) -> str:
        """A hash of what the file is made of. A worker remembers the key of each file's
        inputs: comparing them again is much cheaper than hashing them again. A build asks
        for a file's key more than once; it is worked out once."""
        if self._key is not None and self._key[0] == site_key:
            return self._key[1]
        self._key = (site_key, self._work_out_key(site_key))
        return self._key[1]

    def _work_out_key(self, site_key: str) -> str:
        known = _KEYS.get(self.save_as)
        if (
            known is not None
            and known[0] == (site_key, self.template, self.title)
            and known[1] == self.inputs
        ):
            return known[2]
        data = json.dumps([site_key, self.template, self.title, self.inputs], sort_keys=True)
        key = hashlib.sha256(data.encode()).hexdigest()[:32]
        _KEYS[self.save_as] = ((site_key, self.template, self.title), self.inputs, key)
        return key


_KEYS: dict[str, tuple] = {}  # save_as -> (what, inputs, key) of the last build


def _fixed(context: dict) -> Callable[[], dict]:
    return lambda: context


class SiteRenderer:
    def __init__(
        self,
        content: SiteContent,
        settings: dict,
        cards: dict[tuple, Markup] | None = None,
        objects: dict[str, tuple[str, Content, bool]] | None = None,
        page_outputs: dict[int, Output] | None = None,
    ):
        """`settings` are Pelican's (site_settings.py); `cards` keeps rendered solution cards
        by what they show, `objects` the pages' Pelican objects by file (with their key,
        and whether they are whole), and `page_outputs` the files of solution pages by page
        id: a builder that builds again passes the same dicts each time."""
        self.content, self.settings, self.theme = content, settings, Path(settings["THEME"])
        self._cards = {} if cards is None else cards
        self._objects = {} if objects is None else objects
        self._page_outputs = {} if page_outputs is None else page_outputs
        # every solution, the most recently updated first (then A to Z: the sort is stable)
        self.by_recency = sorted(
            content.solutions, key=lambda s: s.get("last_published_at") or "", reverse=True
        )
        self.recent = [s for s in self.by_recency[:RECENT] if s.get("last_published_at")]

    @cached_property
    def assets(self) -> dict[str, tuple[str, bytes]]:
        """The theme's static files (see `assets`), read once per build."""
        return assets(self.theme)

    @cached_property
    def global_context(self) -> dict:
        """What every template gets, as Pelican gives it: the settings, then the content."""
        return {
            **{name: value for name, value in self.settings.items() if name.isupper()},
            "assets": {key: url for key, (url, _) in self.assets.items()},
            "solutions": self.content.solutions,
            "sectors": self.content.sectors,
            "organisations": self.content.organisations,
            "tags": self.content.tags,
            "sections": self.sections,
        }

    @cached_property
    def sections(self) -> dict[str, str]:
        """The URL of each listing page the site has ("solutions" → "/solutions/"): one made
        private or unpublished leaves the menu and every link to it."""
        found = {"organisations": "/organisations/", "search": "/search/"}
        for page in self.content.pages:
            if page["type"] in SECTION_PAGES:
                found[SECTION_PAGES[page["type"]]] = page["url"]
        return found

    @cached_property
    def site_key(self) -> str:
        """What every page depends on: the theme and the site settings (read once)."""
        shown = [
            theme_digest(self.theme),
            settings_digest(self.settings),
            sorted(self.sections.items()),
        ]
        return hashlib.sha256(json.dumps(shown).encode()).hexdigest()

    def outputs(self) -> list[Output]:
        """Every HTML file of the site, with what each one shows (its inputs); worked out
        once per build (a full build makes the pages' objects, then writes them)."""
        return self._outputs

    @cached_property
    def _outputs(self) -> list[Output]:
        return list(self._each_output())

    def _each_output(self) -> Iterator[Output]:
        content = self.content
        for page in content.pages:
            yield from self.page_outputs(page)
        yield Output(
            "/organisations/",
            "organisation_index",
            "Organisations",
            _fixed({"section": "organisations"}),
            [[o.url, o.name, o.abbreviation, len(o.mentions)] for o in content.organisations],
        )
        for organisation in content.organisations:
            yield Output(
                organisation.url,
                "organisation",
                organisation.name,
                _fixed(
                    {
                        "organisation": organisation,
                        "section": "organisations",
                        "description": f"Where the catalogue names {organisation.name}.",
                    }
                ),
                [organisation.abbreviation, organisation.website, organisation.mentions],
            )
        for tag in content.tags:
            title = f"Tagged {tag.name}"
            first = Output(tag.url, "tag", title, _fixed({"tag": tag}), [tag.name])
            yield from self.listing_pages(
                first, tag.url, title, tag.solutions, self.per_page, [tag.name], {}
            )
        for old_url, redirect in sorted(content.redirects.items()):
            yield Output(
                old_url,
                "redirect",
                "Moved",
                _fixed({"target": redirect.target}),
                [redirect.target],
                hidden=True,
            )
        yield Output("/search/", "search", "Search", _fixed({"section": "search"}))
        yield Output("/404.html", "404", "Page not found", _fixed({}), hidden=True)

    def page_outputs(self, page: dict) -> Iterator[Output]:
        """The files of one CMS page: the page itself first, then, for a listing, its further
        pages. A preview renders the first, as a build does."""
        if page["type"] == "solutions.SolutionIndexPage":
            yield from self.index_pages(page)
        elif page["type"] == "solutions.SectorPage":
            yield from self.sector_pages(page)
        else:
            yield self.page(page)

    def page(self, page: dict) -> Output:
        """The page's own file. A solution's is made once for as long as its page lives: it
        shows only its sectors' and organisations' names besides its own document, and
        content.load makes a new page when any of those changes. A worker keeps 100,000 of
        them between builds."""
        solution = page["type"] == SOLUTION
        if solution:
            known = self._page_outputs.get(page["id"])
            if known is not None and known.document is page:
                return known
        template, _ = TEMPLATES[page["type"]]
        output = Output(
            page["url"], template, page["title"], None, self.page_inputs(page), document=page
        )
        if solution:
            self._page_outputs[page["id"]] = output
        return output

    def index_pages(self, page: dict) -> Iterator[Output]:
        """The solutions index, A to Z, a page at a time (`listing_pages`); and at …/recent/
        the RECENT_LISTED most recently updated, on one page. Templates get `sort` ("title"
        or "recent") and `sort_urls` (the first page of each order)."""
        first = self.page(page)
        sort_urls = {"title": first.url, "recent": first.url + "recent/"}
        for sort, solutions, per_page in (
            ("title", self.content.solutions, self.per_page),
            ("recent", self.by_recency[:RECENT_LISTED], None),
        ):
            title = page["title"] + (", recently updated first" if sort == "recent" else "")
            shared = [*first.inputs, sort]  # what every page of this order shows
            shown = {"sort": sort, "sort_urls": sort_urls}
            yield from self.listing_pages(
                first, sort_urls[sort], title, solutions, per_page, shared, shown
            )

    def sector_pages(self, page: dict) -> Iterator[Output]:
        """A sector, its solutions' cards a page at a time (`listing_pages`). The first page
        shows the sector and its figures compared; the others only further cards. Every page
        gets `sector` (the sector's document: `title`, `url`, `solutions`)."""
        first = self.page(page)
        shared = [self.content.page_hash(page)]
        yield from self.listing_pages(
            first,
            first.url,
            page["title"],
            page["solutions"],
            self.per_page,
            shared,
            {"sector": page},
        )

    @property
    def per_page(self) -> int | None:
        return self.settings.get("DEFAULT_PAGINATION") or None

    def listing_pages(
        self,
        first: Output,
        url: str,
        title: str,
        solutions: list[dict],
        per_page: int | None,
        shared: list,
        shown: dict,
    ) -> Iterator[Output]:
        """The pages of a listing of solution cards at `url`, `per_page` a page, as Pelican
        paginates its listings (its Paginator, at the addresses PAGINATION_PATTERNS gives).
        Each page's template gets `shown` and Pelican's variables: `solutions_paginator`,
        `solutions_page` (its `object_list`: the cards of this page),
        `solutions_previous_page` and `solutions_next_page`. When `url` is `first`'s, its
        first page is `first`; the others show `shared` besides their cards, are titled
        "`title`, page 2 of 5" and are listed nowhere but in the pages' links."""
        paginator = Paginator(
            url.lstrip("/") + "index.html", url, solutions, self.settings, per_page
        )
        count = paginator.num_pages
        context_of_first = first.make_context or partial(self.page_context, first.document)
        of_all = [count, len(solutions)]  # each page says "page 2 of 5", "3 to 4 of 9"
        for number in paginator.page_range:
            listing = paginator.page(number)
            on_page = {
                **shown,
                "solutions_paginator": paginator,
                "solutions_page": listing,
                "solutions_previous_page": paginator.page(number - 1) if number > 1 else None,
                "solutions_next_page": paginator.page(number + 1) if listing.has_next() else None,
            }
            cards = [_card(s) for s in listing.object_list]

            def make_context(on_page: dict = on_page) -> dict:
                return {**context_of_first(), **on_page}

            if number == 1 and url == first.url:
                first.inputs = [*first.inputs, cards, of_all]
                first.make_context = make_context
                yield first
                continue
            numbered = f"{title}, page {number} of {count}" if count > 1 else title
            page_url = url if number == 1 else "/" + listing.url
            yield Output(page_url, first.template, numbered, make_context, [*shared, cards, of_all])

    def page_context(self, page: dict) -> dict:
        _, section = TEMPLATES[page["type"]]
        cover = (page.get("cover") or {}).get("image")
        context = {
            "section": section,
            "description": page.get("summary", ""),
            "og_image": media_url(cover["renditions"][-1]["file"]) if cover else None,
            "json_ld": self.json_ld(page),
        }
        if page["type"] == "home.HomePage":
            context["recent"] = self.recent[:6]
        return context

    def page_inputs(self, page: dict) -> list:
        """The page's own document, and what it shows of other pages."""
        content = self.content
        inputs: list = [self.content.page_hash(page)]
        if page["type"] == SOLUTION:
            inputs += [
                [[s["url"], s["title"]] for s in page["sector_pages"]],
                [[o.url, o.name] for o in page["organisation_pages"]],
            ]
        elif page["type"] == "solutions.SectorPage":  # and its cards: sector_pages
            inputs += [chart_inputs(page["solutions"])]
        elif page["type"] == "solutions.SolutionIndexPage":  # and its cards: index_pages
            inputs += [
                [
                    [s["url"], s["title"], s["meta"]["slug"], len(s["solutions"])]
                    for s in content.sectors
                ],
                [[tag.url, tag.name, len(tag.solutions)] for tag in content.tags],
                len(content.organisations),
                len(content.solutions),
            ]
        elif page["type"] == "solutions.SectorIndexPage":
            inputs += [
                [[s["url"], s["title"], len(s["solutions"])] for s in content.sectors],
                chart_inputs(content.sectors),
            ]
        elif page["type"] == "home.HomePage":
            inputs += [
                len(content.solutions),
                [[s["url"], s["title"]] for s in content.sectors],
                [_card(s) for s in self.recent[:6]],
            ]
        return inputs

    def content_objects(self, outputs: list[Output], *, for_sitemap: bool = False) -> list[Content]:
        """The Pelican objects of `outputs` (see contents.py) that are not made yet: made
        now, each once for what it shows. With `for_sitemap`, an object kept from an earlier
        build only for the sitemap (`keep_for_sitemap`) will do."""
        made = []
        for output in outputs:
            if output.document is None and not output.hidden:
                continue
            key = output.key(self.site_key)
            known = self._objects.get(output.save_as)
            if known is None or known[0] != key or not (for_sitemap or known[2]):
                if output.hidden:
                    made_now = hidden_page(output.title, output.url, output.save_as, self.settings)
                else:
                    made_now = content_object(
                        output.document, output.url, output.save_as, self.settings
                    )
                self._objects[output.save_as] = (key, made_now, True)
                made.append(made_now)
        return made

    def keep_for_sitemap(self) -> None:
        """Keep of each page's object only what the next build's sitemap reads of it
        (contents.for_sitemap): a page rendered again gets a whole object again."""
        for save_as, (key, found, whole) in self._objects.items():
            if whole:
                self._objects[save_as] = (key, for_sitemap(found), False)

    def content_object(self, output: Output) -> Content | None:
        """The Pelican object made for `output` (content_objects), if it has one."""
        known = self._objects.get(output.save_as)
        if known is None and (output.document is not None or output.hidden):
            raise RuntimeError(f"{output.save_as}: rendered before its content object was made")
        return known[1] if known else None

    def context(self, env: Environment, output: Output) -> dict:
        """One output's template context, the way Pelican's writer makes it (the global
        context, then its own, with its content object as `page`, or `article` and `page`)."""
        context = {**self.global_context, **self.local_context(output)}
        found = self.content_object(output)
        if found is not None:
            context["page"] = found
            if isinstance(found, Article):
                context["article"] = found
        context["cards"] = lambda solutions: self.cards(env, solutions)
        return context

    def render(self, env: Environment, output: Output, context: dict | None = None) -> str:
        context = context if context is not None else self.context(env, output)
        return env.get_template(output.template + ".html").render(context)

    def cards(self, env: Environment, solutions: list[dict]) -> Markup:
        """Solution cards (macros.solution_card), each rendered once for what it shows: the
        index, sector, tag and home pages show the same cards, and a worker keeps them
        between builds."""
        if len(self._cards) > 100_000:
            self._cards.clear()
        macro = env.get_template("macros.html").module.solution_card
        found = []
        for solution in solutions:
            key = (self.site_key, _card(solution))
            card = self._cards.get(key)
            if card is None:
                card = self._cards[key] = macro(solution)
            found.append(card)
        return Markup("".join(found))

    def local_context(self, output: Output) -> dict:
        json_ld = {"@context": "https://schema.org", "@type": "WebPage", "name": output.title}
        made = output.make_context
        return {
            "json_ld": json_ld,
            **(made() if made else self.page_context(output.document)),
            "title": output.title,
            "page_url": output.url,
        }

    def json_ld(self, page: dict) -> dict:
        url = self.settings["SITEURL"] + page["url"]
        if page["type"] != SOLUTION:
            return {
                "@context": "https://schema.org",
                "@type": "WebPage",
                "name": page["title"],
                "url": url,
            }
        data = {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": page["title"],
            "description": page.get("summary", ""),
            "url": url,
            "datePublished": page["meta"].get("first_published_at"),
            "dateModified": page.get("last_published_at"),
            "about": [s["title"] for s in page.get("sector_pages", [])],
        }
        cover = (page.get("cover") or {}).get("image")
        if cover:
            data["image"] = self.settings["SITEURL"] + media_url(cover["renditions"][-1]["file"])
        return data


# --- the files beside the pages: feed, robots.txt, theme assets ----------------------------


def static_files(renderer: SiteRenderer) -> dict[str, bytes]:
    """The theme's static files every release has, by path (fingerprinted)."""
    return {url.lstrip("/"): data for url, data in renderer.assets.values()}


def feed_xml(renderer: SiteRenderer) -> bytes:
    """An Atom feed of the recently updated solutions."""
    settings = renderer.settings
    site = settings["SITEURL"]
    feed = feedgenerator.Atom1Feed(
        title=f"{settings['SITENAME']}: recently updated solutions",
        link=site + "/",
        feed_url=site + "/feed.xml",
        description=settings["SITE_DESCRIPTION"],
    )
    for solution in renderer.recent:
        published = datetime.fromisoformat(solution["last_published_at"].replace("Z", "+00:00"))
        feed.add_item(
            title=solution["title"],
            link=site + solution["url"],
            unique_id=site + solution["url"],
            # Atom says the summary is HTML; a summary is text, so it goes as escaped text
            description=escape(solution.get("summary", "")),
            updateddate=published,
            pubdate=published,
        )
    return feed.writeString("utf-8").encode()


def robots_txt(renderer: SiteRenderer) -> bytes:
    return (
        f"User-agent: *\nAllow: /\nSitemap: {renderer.settings['SITEURL']}/sitemap.xml\n".encode()
    )


def extra_files(renderer: SiteRenderer) -> dict[str, bytes]:
    """Every file of a release that is not a rendered page (the sitemap is the sitemap
    plugin's, see pelicanconf.py)."""
    return {
        **static_files(renderer),
        "feed.xml": feed_xml(renderer),
        "robots.txt": robots_txt(renderer),
        **redirect_files(renderer.content.redirects),
    }
