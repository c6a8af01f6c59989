"""The catalogue of songs and stories the app browses and the toy plays."""

import io
import time
from pathlib import Path

from services import fields
from services.audio import synth
from services.audio.converter import pcm_to_wav
from services.demo_tunes import TUNES, draw_cover
from services.errors import InvalidInput
from services.store.serialize import content_public

MUSIC_SUFFIXES = {".mp3", ".m4a", ".ogg", ".wav", ".aac", ".webm", ".flac", ".amr"}
COVER_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}


PAGES_KEPT = 64  # rendered pages kept per process (distinct skip/limit pairs)


class ContentService:
    def __init__(self, store, media):
        self._content = store.content
        self._media = media
        self._pages = {}  # (skip, limit) -> (catalogue version, rendered page)

    def rendered_page(self, body, render):
        """``render(page)`` of one page of the catalogue, newest first, ``skip`` (default 0)
        and ``limit`` (default 50, max 200) from ``body``; ``render`` must depend on the page
        only. The rendering is kept until the catalogue changes, so a page costs one small read
        (the catalogue's version) whatever the catalogue's size. Any process's write changes
        the version, so a new song is listed at once by every server."""
        key = _paging(body)
        version = self._content.version()
        kept = self._pages.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        rendered = render([content_public(c) for c in self._content.page(*key)])
        if len(self._pages) >= PAGES_KEPT:
            self._pages.clear()
        self._pages[key] = (version, rendered)
        return rendered

    def add(self, title, music_path, cover_path=None):
        """Copy a song (and optional cover) into the media store and list it; returns the doc.

        Raises InvalidInput for a missing file, an unknown extension or an empty title; a
        failure leaves no stored file.
        """
        title = fields.text({"title": title}, "title", max_len=200)
        music = self._import_file(music_path, "music", MUSIC_SUFFIXES)
        cover = ""
        try:
            cover = self._import_file(cover_path, "image", COVER_SUFFIXES) if cover_path else ""
            doc = {"title": title, "music": music, "cover": cover, "create_time": time.time()}
            doc["_id"] = self._content.insert(doc)
        except BaseException:
            self._media.remove("music", music)
            if cover:
                self._media.remove("image", cover)
            raise
        return content_public(doc)

    def add_demo(self, converter):
        """List the demo nursery tunes (``services.demo_tunes``) that are not in the catalogue
        yet, matched by title, so running it twice adds nothing. Each tune is synthesised,
        encoded to mp3 by ``converter`` (an AudioConverter) and given a drawn cover.

        Returns ``(added docs, titles already present)``. A failure leaves no file of the tune.
        """
        present = {doc.get("title") for doc in self._content.titles()}
        added, skipped = [], []
        for tune in TUNES:
            if tune.title in present:
                skipped.append(tune.title)
                continue
            added.append(self._add_tune(tune, converter))
        return added, skipped

    def _add_tune(self, tune, converter):
        wav = pcm_to_wav(synth.render(tune.melody, tune.bpm), synth.RATE)
        audio = self._media.add_mp3("music", converter, wav)
        cover = self._media.new_name(".png")
        try:
            png = io.BytesIO()
            draw_cover(tune, png)
            self._media.put("image", cover, png.getvalue())
            doc = {"title": tune.title, "music": audio.name, "cover": cover,
                   "create_time": time.time()}
            doc["_id"] = self._content.insert(doc)
        except BaseException:
            self._media.remove("music", audio.name)
            self._media.remove("image", cover)
            raise
        return content_public(doc)

    def _import_file(self, path, kind, suffixes):
        path = Path(path)
        if not path.is_file():
            raise InvalidInput(f"{path} is not a file")
        suffix = path.suffix.lower()
        if suffix not in suffixes:
            raise InvalidInput(f"{path.name}: expected one of {', '.join(sorted(suffixes))}")
        name = self._media.new_name(".jpg" if suffix == ".jpeg" else suffix)
        self._media.put(kind, name, path)
        return name

    def scan_folder(self, folder):
        """``[(title, music_path, cover_path|None)]`` for every song file in ``folder``.

        The title is the file name without extension (underscores become spaces); a cover is an
        image with the same stem.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise InvalidInput(f"{folder} is not a folder")
        files = sorted(p for p in folder.iterdir() if p.is_file())
        covers = {p.stem: p for p in files if p.suffix.lower() in COVER_SUFFIXES}
        return [(p.stem.replace("_", " ").strip(), p, covers.get(p.stem))
                for p in files if p.suffix.lower() in MUSIC_SUFFIXES]


def _paging(body):
    """``(skip, limit)`` of a page request; raises InvalidInput when out of range."""
    return (fields.integer(body, "skip", default=0, minimum=0, maximum=10**9),
            fields.integer(body, "limit", default=50, minimum=1, maximum=200))
