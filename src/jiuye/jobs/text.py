"""Chinese text as the matcher reads it (DOMAIN §8, 人岗匹配): words segmented by jieba.

``words`` is the one segmentation: a posting's ``terms`` are stored with it when the posting is
written (``posting_terms``), and a person's wanted work and certificates are segmented the same
way when they are matched (``jobs.matching``). Punctuation, single symbols and a few
function words are dropped; the dictionary is loaded once per process.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

import jieba

from jiuye.jobs.occupations import occupation_text

_lock = threading.Lock()
_ready = False
# Words that say nothing about the work.
STOPWORDS = frozenset(
    [
        "的",
        "和",
        "与",
        "及",
        "或",
        "等",
        "有",
        "能",
        "会",
        "者",
        "以上",
        "以下",
        "优先",
        "熟悉",
        "熟练",
        "掌握",
        "具有",
        "具备",
        "相关",
        "能力",
        "经验",
        "要求",
        "负责",
        "工作",
        "岗位",
        "人员",
        "招聘",
        "从事",
        "一定",
    ]
)
_KEEP = re.compile(r"[\w]")


def warm_up() -> None:
    """Load jieba's dictionary now (the web server's master does, before forking its workers)."""
    _ensure_ready()


def _ensure_ready() -> None:
    global _ready
    if _ready:
        return
    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _ready = True


def words(text: str) -> list[str]:
    """The words of ``text`` (search mode: a long word also gives its parts, so 电工证 meets
    电工), lower-cased, without punctuation and stopwords."""
    if not text:
        return []
    _ensure_ready()
    out = []
    for word in jieba.cut_for_search(text):
        word = word.strip().lower()
        if word and _KEEP.search(word) and word not in STOPWORDS:
            out.append(word)
    return out


def posting_terms(*, title: str, occupation: str = "", skills: str = "") -> str:
    """A posting's stored terms (``Posting.terms``, written by every writer of a posting: the
    forms and API, the workbook, the seed): its title's words (counted twice: the title says
    what the job is), its occupation's name and related words (``jobs.occupations``: seekers
    name work in their own words, 保姆 for 家政服务员) and the skills wanted."""
    return _posting_terms(title or "", occupation or "", skills or "")


@lru_cache(maxsize=65_536)
def _posting_terms(title: str, occupation: str, skills: str) -> str:
    title_words = words(title)
    related = words(occupation_text(occupation))
    return " ".join([*title_words, *title_words, *related, *words(skills)])
