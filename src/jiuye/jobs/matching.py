"""Explained matching of persons and postings (人岗匹配, DOMAIN §8).

**Who and what.** The *seekers* at a date D are the unemployed members of the labor force that
day (``registry.definitions``: the labor-force rule and the status in force; the labor force
already means able and willing, i.e. wanting work). The *open postings* at D are those with
``opens_on <= D``, ``closes_on`` empty or ``>= D`` and a vacancy left (``filled < vacancies``).
A person is matched with the open postings of their district (the unit of level district whose
path contains their community's), a posting with the seekers of its district. Public-welfare
posts are offered only to persons recognised difficult at D (``jobs.eligibility``).

**The score** (0–100) is a weighted sum (:data:`WEIGHTS`) of

- *text*: BM25 (k1 = 1.2, b = 0.75) of the person's words (求职意向, 技能证书 and 技能等级,
  segmented by ``jobs.text.words``) against the posting's ``terms`` (title twice, the
  occupation's name and related words from ``jobs.occupations``, skills: ``text.posting_terms``),
  over the district's open postings at D as the corpus, normalised per query to
  0..1 by the query's own weight (the sum of its terms' idf: a posting holding every word of
  the query once, at average length, scores about 1; capped at 1);
- *education*: the person's 文化程度 reaches the posting's minimum (``checks.education_rank``);
- *age*: the person's age at D lies in the posting's range;
- *place*: the posting's unit in the person's community (1), their street (0.6), elsewhere in
  the district (0.2);
- *pay*: the rank of the posting's monthly pay (the middle of its range) among the district's
  open postings with a pay, 0..1 (0.5 when it gives none).

**Order.** A person's list: best score first (ties: the older posting first, by id). A
posting's candidates: first the *suitable priority persons* (priority: recognised difficult or
of a zero-employment family at D; suitable: text ≥ :data:`SUITABLE_TEXT`, i.e. about half the
weight of their words in common, education and age fit, and living in the posting's street,
where the station can place them), then everyone else, each group
by score (ties: by person id). Both are cut at ``k``. Every result carries its reasons in words
(:func:`reasons`).

**Two paths, one result.** :func:`person_matches` / :func:`posting_candidates` answer for one
person or one posting (a page, the API, ``jiuye match``); :func:`district_matches` answers for
every seeker and every open posting of a district at once (set-based: one query for the
seekers, one for the postings, scipy sparse products and numpy in chunks of seekers). Both
score through the same :func:`_block`, so they give the same lists (a test checks it). The
postings' index of a district (terms matrix, idf, the postings' fields) is kept per process,
keyed by district and date and checked against a cheap version query (count, last update,
hires and last id of the district's postings) before each use.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Count, Max, QuerySet, Sum
from django.utils.translation import gettext as _
from scipy import sparse

from jiuye.jobs import checks, eligibility, text
from jiuye.jobs.definitions import posting_open_q
from jiuye.jobs.models import Posting
from jiuye.lib.masking import mask_id_number
from jiuye.lib.sql import Sql
from jiuye.registry import definitions
from jiuye.registry.models import Person
from jiuye.units.models import Unit

WEIGHTS = {"text": 0.55, "education": 0.10, "age": 0.10, "place": 0.15, "pay": 0.10}
PLACE_SCORES = {"community": 1.0, "street": 0.6, "district": 0.2}
K1, B = 1.2, 0.75
# Suitable (for a priority person to come first): at least this text score (about half the
# weight of their words in common with the posting), education and age fit, and living in the
# posting's street (a district's thousands of seekers would otherwise put the priority persons
# of every street before the ones the posting's own community station would place).
SUITABLE_TEXT = 0.5
DEFAULT_K = 10
MAX_K = 100
CHUNK = 512  # seekers scored at once in the bulk path (CHUNK × postings floats)

# Integer ranking keys: the score in thousandths, then the tie-break (a lower index wins).
_SCALE = 1000
_TIE = 1 << 25
_FIRST = 1 << 45  # the suitable priority persons' head start among a posting's candidates


# ---------------------------------------------------------------------------------------------
# Terms
# ---------------------------------------------------------------------------------------------


def posting_terms_for(posting: Posting) -> str:
    """A posting's matching terms: the stored ones, or (a posting written without them)
    ``text.posting_terms`` of its fields. The matcher never writes them."""
    return posting.terms or text.posting_terms(
        title=posting.title, occupation=posting.occupation, skills=posting.skills
    )


@lru_cache(maxsize=262_144)
def seeker_words(job_intent: str, certificates: str, skill_level: str) -> tuple[str, ...]:
    """The words a person is matched by: 求职意向, 技能证书 and 技能等级 (each once)."""
    found = text.words(job_intent) + text.words(certificates) + text.words(skill_level)
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=65_536)
def _split_words(terms: str) -> frozenset[str]:
    return frozenset(terms.split())


# ---------------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------------


def district_of(unit: Unit) -> Unit:
    """The district containing ``unit`` (the unit itself when it is one); a tree without a
    district level: its root."""
    found = unit.district()
    if found is not None:
        return found
    prefixes = unit.ancestor_paths()
    return Unit.objects.get(path=prefixes[0]) if prefixes else unit


def _places(path: str, district_path: str) -> tuple[str, str]:
    """(street path, community path) of a unit below the district ("" above that level)."""
    rest = [p for p in path[len(district_path) :].split("/") if p]
    street = district_path + rest[0] + "/" if rest else ""
    community = street + rest[1] + "/" if len(rest) > 1 else ""
    return street, community


# ---------------------------------------------------------------------------------------------
# The postings' index of a district at a date
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostingRow:
    id: int
    number: str
    title: str
    employer: str
    unit_id: int
    unit_name: str
    occupation: str
    min_education: str
    age_min: int | None
    age_max: int | None
    pay_min: int | None
    pay_max: int | None
    public_welfare: bool
    vacancies: int
    filled: int
    closes_on: date | None
    words: frozenset[str]


@dataclass
class PostingIndex:
    """The open postings of a district at a date, ready to score (immutable once built)."""

    district_id: int
    district_path: str
    on: date
    rows: list[PostingRow]
    vocab: dict[str, int]
    idf: np.ndarray
    weights: sparse.csr_matrix  # postings × vocabulary: each term's BM25 weight
    req_rank: np.ndarray
    age_lo: np.ndarray
    age_hi: np.ndarray
    street: np.ndarray  # place keys (ints, -1: none) of the posting's street and community
    community: np.ndarray
    pay: np.ndarray
    public_welfare: np.ndarray
    place_keys: dict[str, int] = field(default_factory=dict)
    position: dict[int, int] = field(default_factory=dict)  # posting id → row

    def place_key(self, path: str) -> int:
        return self.place_keys.get(path, -1) if path else -2


def _district_postings(district: Unit) -> QuerySet[Posting]:
    return Posting.objects.filter(unit__path__startswith=district.path)


def _version(district: Unit) -> tuple[Any, ...]:
    found = _district_postings(district).aggregate(
        n=Count("id"), last=Max("updated_at"), filled=Sum("filled"), top=Max("id")
    )
    return (found["n"], found["last"], found["filled"], found["top"])


_cache: OrderedDict[tuple[int, date, str], tuple[tuple[Any, ...], PostingIndex]] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 32


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def posting_index(district: Unit, on: date, *, fields: str = "terms") -> PostingIndex:
    """The district's index at ``on`` from the per-process cache, rebuilt when the district's
    postings changed (:func:`_version`). ``fields="title"``: the titles alone (the bench's
    baseline)."""
    key = (district.pk, on, fields)
    version = _version(district)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == version:
            _cache.move_to_end(key)
            return cached[1]
    index = build_index(district, on, fields=fields)
    with _cache_lock:
        _cache[key] = (version, index)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def build_index(district: Unit, on: date, *, fields: str = "terms") -> PostingIndex:
    """Read the district's open postings at ``on`` (one query) and build their index."""
    values = (
        _district_postings(district)
        .filter(posting_open_q(on))
        .order_by("id")
        .values_list(
            "id",
            "number",
            "title",
            "employer__name",
            "unit_id",
            "unit__name",
            "unit__path",
            "occupation",
            "skills",
            "terms",
            "min_education",
            "age_min",
            "age_max",
            "pay_min",
            "pay_max",
            "public_welfare",
            "vacancies",
            "filled",
            "closes_on",
        )
    )
    rows: list[PostingRow] = []
    paths: list[str] = []
    docs: list[list[str]] = []
    for (
        pk,
        number,
        title,
        employer,
        unit_id,
        unit_name,
        unit_path,
        occupation,
        skills,
        terms,
        min_education,
        age_min,
        age_max,
        pay_min,
        pay_max,
        public_welfare,
        vacancies,
        filled,
        closes_on,
    ) in values.iterator(chunk_size=5000):
        stored = terms or text.posting_terms(title=title, occupation=occupation, skills=skills)
        doc = " ".join(text.words(title)) if fields == "title" else stored
        rows.append(
            PostingRow(
                pk,
                number,
                title,
                employer,
                unit_id,
                unit_name,
                occupation,
                min_education,
                age_min,
                age_max,
                pay_min,
                pay_max,
                public_welfare,
                vacancies,
                filled,
                closes_on,
                _split_words(stored),
            )
        )
        paths.append(unit_path)
        docs.append(doc.split())
    return _index(district, on, rows, paths, docs)


def _index(
    district: Unit, on: date, rows: list[PostingRow], paths: list[str], docs: list[list[str]]
) -> PostingIndex:
    vocab: dict[str, int] = {}
    indptr: list[int] = [0]
    indices: list[int] = []
    counts: list[int] = []
    for doc in docs:
        per_doc: dict[int, int] = {}
        for word in doc:
            col = vocab.setdefault(word, len(vocab))
            per_doc[col] = per_doc.get(col, 0) + 1
        indices.extend(per_doc.keys())
        counts.extend(per_doc.values())
        indptr.append(len(indices))
    n = len(rows)
    tf_matrix = sparse.csr_matrix(
        (np.array(counts, dtype=np.float64), np.array(indices, dtype=np.int64), indptr),
        shape=(n, len(vocab)),
    )
    lengths = np.array([len(doc) for doc in docs], dtype=np.float64)
    avg = lengths.mean() if n and lengths.mean() > 0 else 1.0
    df = np.bincount(tf_matrix.indices, minlength=len(vocab)).astype(np.float64)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    # BM25 weight of each (posting, term): idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avg)).
    norm = K1 * (1.0 - B + B * lengths / avg)
    tf = tf_matrix.data
    row_of = np.repeat(np.arange(n), np.diff(tf_matrix.indptr))
    data = idf[tf_matrix.indices] * tf * (K1 + 1.0) / (tf + norm[row_of])
    weights = sparse.csr_matrix((data, tf_matrix.indices, tf_matrix.indptr), shape=tf_matrix.shape)

    place_keys: dict[str, int] = {}
    street = np.full(n, -1, dtype=np.int64)
    community = np.full(n, -1, dtype=np.int64)
    for i, path in enumerate(paths):
        s, c = _places(path, district.path)
        if s:
            street[i] = place_keys.setdefault(s, len(place_keys))
        if c:
            community[i] = place_keys.setdefault(c, len(place_keys))
    middles = np.array([_pay_middle(r) for r in rows], dtype=np.float64)
    pay = np.full(n, 0.5)
    given = ~np.isnan(middles)
    if given.sum() > 1:
        ranked = middles[given]
        # The share of the other paid postings paying less (ties count half): 0..1.
        order = np.sort(ranked)
        below = np.searchsorted(order, ranked, side="left")
        same = np.searchsorted(order, ranked, side="right") - below - 1
        pay[given] = (below + same / 2.0) / (len(ranked) - 1)
    return PostingIndex(
        district_id=district.pk,
        district_path=district.path,
        on=on,
        rows=rows,
        vocab=vocab,
        idf=idf,
        weights=weights,
        req_rank=np.array([checks.education_rank(r.min_education) for r in rows], dtype=np.int64),
        age_lo=np.array([r.age_min if r.age_min is not None else 0 for r in rows], np.int64),
        age_hi=np.array([r.age_max if r.age_max is not None else 999 for r in rows], np.int64),
        street=street,
        community=community,
        pay=pay,
        public_welfare=np.array([r.public_welfare for r in rows], dtype=bool),
        place_keys=place_keys,
        position={r.id: i for i, r in enumerate(rows)},
    )


def _pay_middle(row: PostingRow) -> float:
    given = [p for p in (row.pay_min, row.pay_max) if p is not None]
    return sum(given) / len(given) if given else math.nan


# ---------------------------------------------------------------------------------------------
# Seekers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seeker:
    id: int
    name: str
    id_number: str
    community_id: int
    community_path: str
    age: int
    education: str
    skill_level: str
    job_intent: str
    certificates: str
    difficult: bool
    zero_family: bool
    words: tuple[str, ...]

    @property
    def priority(self) -> bool:
        return self.difficult or self.zero_family

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)


def seekers_sql(
    on: date,
    *,
    district_path: str | None = None,
    person_id: int | None = None,
    within: Sql | None = None,
) -> Sql:
    """Every seeker at ``on`` (of the district, or the one person; ``within``: a subquery of
    person ids the reader may see) with what the matcher reads of them, ordered by id."""
    person = Person._meta.db_table
    unit = Unit._meta.db_table
    status = definitions.status_on_sql("p", on)
    candidates = definitions.labor_force_candidates_sql("p", on)
    lf_status = definitions.labor_force_status_sql("s.status")
    difficult = eligibility.recognised_difficult_sql("p", on)
    zero = eligibility.zero_family_member_sql("p", on)
    where = [candidates]
    if district_path is not None:
        where.append(Sql("u.path LIKE %s", (district_path + "%",)))
    if person_id is not None:
        where.append(Sql("p.id = %s", (person_id,)))
    if within is not None:
        where.append(Sql(f"p.id IN ({within.text})", within.params))
    condition = where[0]
    for more in where[1:]:
        condition = condition & more
    inner = (
        f"SELECT p.id, p.name, p.id_number, p.community_id, u.path AS community_path, "
        f"p.birth_date, p.education, p.skill_level, p.job_intent, p.certificates, "
        f"({status.text}) AS status, "
        f"CASE WHEN {difficult.text} THEN 1 ELSE 0 END AS difficult, "
        f"CASE WHEN {zero.text} THEN 1 ELSE 0 END AS zero_family "
        f"FROM {person} p JOIN {unit} u ON u.id = p.community_id "
        f"WHERE {condition.text}"
    )
    return Sql(
        f"SELECT s.id, s.name, s.id_number, s.community_id, s.community_path, s.birth_date, "
        f"s.education, s.skill_level, s.job_intent, s.certificates, s.difficult, "
        f"s.zero_family FROM ({inner}) s "
        f"WHERE {lf_status.text} AND s.status = '{definitions.UNEMPLOYED}' ORDER BY s.id",
        status.params + difficult.params + zero.params + condition.params + lf_status.params,
    )


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def read_seekers(sql: Sql, on: date) -> list[Seeker]:
    from jiuye.lib.sql import read_date

    found = []
    with connection.cursor() as cursor:
        cursor.execute(sql.text, sql.params)
        for row in cursor.fetchall():
            (
                pk,
                name,
                number,
                community_id,
                path,
                birth,
                education,
                skill,
                intent,
                certs,
                difficult,
                zero,
            ) = row
            birth_date = read_date(birth)
            assert birth_date is not None
            found.append(
                Seeker(
                    pk,
                    name,
                    number,
                    community_id,
                    path,
                    _age(birth_date, on),
                    education or "",
                    skill or "",
                    intent or "",
                    certs or "",
                    bool(difficult),
                    bool(zero),
                    seeker_words(intent or "", certs or "", skill or ""),
                )
            )
    return found


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeekerArrays:
    """The seekers as the scorer reads them (rows in the seekers' order, by person id)."""

    queries: sparse.csr_matrix  # seekers × vocabulary (1 where the person has the word)
    bound: np.ndarray  # the query's own weight (sum of its terms' idf)
    edu: np.ndarray
    age: np.ndarray
    street: np.ndarray
    community: np.ndarray
    difficult: np.ndarray
    priority: np.ndarray


def seeker_arrays(index: PostingIndex, seekers: Sequence[Seeker]) -> SeekerArrays:
    indptr, indices = [0], []
    for s in seekers:
        cols = sorted({index.vocab[w] for w in s.words if w in index.vocab})
        indices.extend(cols)
        indptr.append(len(indices))
    queries = sparse.csr_matrix(
        (np.ones(len(indices)), np.array(indices, dtype=np.int64), indptr),
        shape=(len(seekers), len(index.vocab)),
    )
    bound = np.asarray(queries @ index.idf).ravel() if len(index.vocab) else np.zeros(len(seekers))
    streets, communities = [], []
    for s in seekers:
        street, community = _places(s.community_path, index.district_path)
        streets.append(index.place_key(street))
        communities.append(index.place_key(community))
    return SeekerArrays(
        queries=queries,
        bound=bound,
        edu=np.array([checks.education_rank(s.education) for s in seekers], dtype=np.int64),
        age=np.array([s.age for s in seekers], dtype=np.int64),
        street=np.array(streets, dtype=np.int64),
        community=np.array(communities, dtype=np.int64),
        difficult=np.array([s.difficult for s in seekers], dtype=bool),
        priority=np.array([s.priority for s in seekers], dtype=bool),
    )


@dataclass(frozen=True, slots=True)
class Block:
    """Scores of some seekers (rows) against some postings (columns)."""

    text: np.ndarray
    score: np.ndarray  # in thousandths of a point (int64)
    allowed: np.ndarray  # public-welfare posts only for the recognised difficult
    suitable: np.ndarray


def _block(
    index: PostingIndex,
    arrays: SeekerArrays,
    rows: slice | np.ndarray,
    cols: np.ndarray | None = None,
) -> Block:
    """The one scorer: both paths call it, so they agree to the last digit. The score is
    summed in thousandths of a point, in place (a chunk is hundreds × thousands of pairs)."""
    weights = index.weights if cols is None else index.weights[cols]
    pick: Any = slice(None) if cols is None else cols
    text_score = (arrays.queries[rows] @ weights.T).toarray()
    bound = arrays.bound[rows]
    np.multiply(text_score, (1.0 / np.where(bound > 0, bound, 1.0))[:, None], out=text_score)
    np.minimum(text_score, 1.0, out=text_score)
    # Education: a person's rank reaches the posting's (0, none asked, is reached by anyone; a
    # person whose education is not recorded, rank 0, reaches nothing else).
    education = arrays.edu[rows][:, None] >= index.req_rank[pick][None, :]
    age = arrays.age[rows][:, None]
    age_fit = age >= index.age_lo[pick][None, :]
    age_fit &= age <= index.age_hi[pick][None, :]
    street = index.street[pick]
    community = index.community[pick]
    same_street = arrays.street[rows][:, None] == np.where(street >= 0, street, -3)[None, :]
    same_community = (
        arrays.community[rows][:, None] == np.where(community >= 0, community, -3)[None, :]
    )
    unit = 100.0 * _SCALE
    total = text_score * (unit * WEIGHTS["text"])
    np.add(total, unit * WEIGHTS["education"], out=total, where=education)
    np.add(total, unit * WEIGHTS["age"], out=total, where=age_fit)
    # Place: 0.2 anywhere in the district, 0.6 in the street, 1 in the community.
    step_street = PLACE_SCORES["street"] - PLACE_SCORES["district"]
    step_community = PLACE_SCORES["community"] - PLACE_SCORES["street"]
    np.add(total, unit * WEIGHTS["place"] * step_street, out=total, where=same_street)
    np.add(total, unit * WEIGHTS["place"] * step_community, out=total, where=same_community)
    total += (
        unit
        * (WEIGHTS["pay"] * index.pay[pick] + WEIGHTS["place"] * PLACE_SCORES["district"])[None, :]
    )
    # Near: in the posting's street (or any seeker, for a posting placed above the streets).
    near = same_street | same_community
    near |= (street < 0)[None, :]
    suitable = text_score >= SUITABLE_TEXT
    suitable &= education
    suitable &= age_fit
    suitable &= near
    allowed = ~index.public_welfare[pick][None, :] | arrays.difficult[rows][:, None]
    return Block(
        text=text_score,
        score=np.rint(total, out=total).astype(np.int64),
        allowed=allowed,
        suitable=suitable,
    )


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    seeker: Seeker
    posting: PostingRow
    score: float  # 0..100
    text: float  # 0..1
    education_ok: bool
    age_ok: bool
    place: str  # community | street | district
    near: bool  # in the posting's street (see SUITABLE_TEXT)
    on: date

    @property
    def suitable(self) -> bool:
        return self.text >= SUITABLE_TEXT and self.education_ok and self.age_ok and self.near

    @property
    def reasons(self) -> list[str]:
        return reasons(self)

    def as_dict(self, *, masked: bool = True) -> dict[str, Any]:
        """The JSON form (the API and ``jiuye match --json``); the person's number masked."""
        return {
            "posting": {
                "id": self.posting.id,
                "number": self.posting.number,
                "title": self.posting.title,
                "employer": self.posting.employer,
                "public_welfare": self.posting.public_welfare,
                "unit": self.posting.unit_name,
            },
            "person": {
                "id": self.seeker.id,
                "name": self.seeker.name,
                "id_number": self.seeker.masked_id if masked else self.seeker.id_number,
                "priority": self.seeker.priority,
            },
            "score": round(self.score, 1),
            "reasons": self.reasons,
        }


def _match(
    index: PostingIndex,
    seeker: Seeker,
    arrays: SeekerArrays,
    row: int,
    col: int,
    block: Block,
    brow: int,
    bcol: int,
) -> Match:
    posting = index.rows[col]
    if arrays.community[row] >= 0 and arrays.community[row] == index.community[col]:
        place = "community"
    elif arrays.street[row] >= 0 and arrays.street[row] == index.street[col]:
        place = "street"
    else:
        place = "district"
    need = index.req_rank[col]
    edu = arrays.edu[row]
    return Match(
        seeker=seeker,
        posting=posting,
        score=int(block.score[brow, bcol]) / _SCALE,
        text=float(block.text[brow, bcol]),
        education_ok=bool(need == 0 or (edu > 0 and edu >= need)),
        age_ok=bool(index.age_lo[col] <= arrays.age[row] <= index.age_hi[col]),
        place=place,
        near=place != "district" or index.street[col] < 0,
        on=index.on,
    )


def _person_keys(block: Block, cols: np.ndarray) -> np.ndarray:
    keys = block.score * _TIE
    keys += (_TIE - 1 - cols)[None, :]
    keys[~block.allowed] = -1
    return keys


def _candidate_keys(block: Block, arrays: SeekerArrays, rows: np.ndarray) -> np.ndarray:
    keys = block.score * _TIE
    keys += (_TIE - 1 - rows)[:, None]
    np.add(keys, _FIRST, out=keys, where=block.suitable & arrays.priority[rows][:, None])
    keys[~block.allowed] = -1
    return keys


def _top(keys: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest keys (>= 0) of a vector, largest first (keys are unique)."""
    valid = np.flatnonzero(keys >= 0)
    if len(valid) > k:
        part = np.argpartition(-keys[valid], k - 1)[:k]
        valid = valid[part]
    return valid[np.argsort(-keys[valid], kind="stable")]


def _k(k: int) -> int:
    return max(1, min(int(k), MAX_K))


# ---------------------------------------------------------------------------------------------
# One person, one posting
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonResult:
    person: Person
    on: date
    district: Unit
    seeker: Seeker | None  # None: not a seeker that day (then no matches)
    matches: list[Match]


def person_matches(person: Person, *, on: date, k: int = DEFAULT_K) -> PersonResult:
    """The open postings of the person's district best first (top ``k``), with reasons."""
    district = district_of(person.community)
    found = read_seekers(seekers_sql(on, person_id=person.pk), on)
    if not found:
        return PersonResult(person, on, district, None, [])
    seeker = found[0]
    index = posting_index(district, on)
    if not index.rows:
        return PersonResult(person, on, district, seeker, [])
    arrays = seeker_arrays(index, [seeker])
    block = _block(index, arrays, slice(0, 1))
    cols = np.arange(len(index.rows))
    keys = _person_keys(block, cols)[0]
    chosen = _top(keys, _k(k))
    matches = [_match(index, seeker, arrays, 0, int(c), block, 0, int(c)) for c in chosen]
    return PersonResult(person, on, district, seeker, matches)


@dataclass(frozen=True)
class PostingResult:
    posting: Posting
    on: date
    district: Unit
    open: bool
    matches: list[Match]


def posting_candidates(
    posting: Posting, *, on: date, k: int = DEFAULT_K, within: QuerySet[Person] | None = None
) -> PostingResult:
    """The seekers of the posting's district (those of ``within`` only, a reader's visible
    persons) for ``posting`` at ``on``: suitable priority persons first, then by score."""
    from jiuye.lib.sql import subquery

    district = district_of(posting.unit)
    index = posting_index(district, on)
    col = index.position.get(posting.pk)
    if col is None:
        return PostingResult(posting, on, district, False, [])
    sql = seekers_sql(
        on,
        district_path=district.path,
        within=subquery(within) if within is not None else None,
    )
    seekers = read_seekers(sql, on)
    if not seekers:
        return PostingResult(posting, on, district, True, [])
    arrays = seeker_arrays(index, seekers)
    rows = np.arange(len(seekers))
    cols = np.array([col])
    block = _block(index, arrays, rows, cols)
    keys = _candidate_keys(block, arrays, rows)[:, 0]
    chosen = _top(keys, _k(k))
    matches = [
        _match(index, seekers[int(r)], arrays, int(r), col, block, int(r), 0) for r in chosen
    ]
    return PostingResult(posting, on, district, True, matches)


# ---------------------------------------------------------------------------------------------
# A whole district at once
# ---------------------------------------------------------------------------------------------


@dataclass
class DistrictMatches:
    on: date
    district: Unit
    seekers: int
    postings: int
    by_person: dict[int, list[Match]]
    by_posting: dict[int, list[Match]]


def district_matches(
    district: Unit, *, on: date, k: int = DEFAULT_K, chunk: int = CHUNK, fields: str = "terms"
) -> DistrictMatches:
    """Top ``k`` postings for every seeker of the district and top ``k`` candidates for every
    open posting, set-based (:func:`_block` over chunks of seekers)."""
    k = _k(k)
    index = posting_index(district, on, fields=fields)
    seekers = read_seekers(seekers_sql(on, district_path=district.path), on)
    result = DistrictMatches(on, district, len(seekers), len(index.rows), {}, {})
    if not seekers or not index.rows:
        return result
    arrays = seeker_arrays(index, seekers)
    m = len(index.rows)
    cols = np.arange(m)
    best_keys = np.full((k, m), -1, dtype=np.int64)
    best_text = np.zeros((k, m))
    best_score = np.zeros((k, m), dtype=np.int64)
    for start in range(0, len(seekers), chunk):
        rows = np.arange(start, min(start + chunk, len(seekers)))
        block = _block(index, arrays, slice(rows[0], rows[-1] + 1))
        keys = _person_keys(block, cols)
        for i, row in enumerate(rows):
            chosen = _top(keys[i], k)
            seeker = seekers[int(row)]
            result.by_person[seeker.id] = [
                _match(index, seeker, arrays, int(row), int(c), block, i, int(c)) for c in chosen
            ]
        # Candidates: the chunk's best k per posting merged with the best so far.
        ckeys = _candidate_keys(block, arrays, rows)
        take = min(k, len(rows))
        part = np.argpartition(-ckeys, take - 1, axis=0)[:take]
        merged_keys = np.vstack([best_keys, np.take_along_axis(ckeys, part, axis=0)])
        merged_text = np.vstack([best_text, np.take_along_axis(block.text, part, axis=0)])
        merged_score = np.vstack([best_score, np.take_along_axis(block.score, part, axis=0)])
        keep = np.argpartition(-merged_keys, k - 1, axis=0)[:k]
        best_keys = np.take_along_axis(merged_keys, keep, axis=0)
        best_text = np.take_along_axis(merged_text, keep, axis=0)
        best_score = np.take_along_axis(merged_score, keep, axis=0)
    rows_of = (_TIE - 1) - (best_keys % _TIE)
    for col in range(m):
        order = _top(best_keys[:, col], k)
        matches = []
        for j in order:
            at = int(rows_of[j, col])
            one = Block(
                text=best_text[j : j + 1, col : col + 1],
                score=best_score[j : j + 1, col : col + 1],
                allowed=np.ones((1, 1), dtype=bool),
                suitable=np.ones((1, 1), dtype=bool),
            )
            matches.append(_match(index, seekers[at], arrays, at, col, one, 0, 0))
        result.by_posting[index.rows[col].id] = matches
    return result


# ---------------------------------------------------------------------------------------------
# Reasons
# ---------------------------------------------------------------------------------------------


def _matched_items(text_value: str, words: frozenset[str]) -> list[str]:
    """The items of a 、-separated field that share a word with the posting."""
    items = [item.strip() for item in text_value.replace(",", "、").replace("，", "、").split("、")]
    return [item for item in items if item and any(w in words for w in text.words(item))]


def _range(low: int | None, high: int | None, unit: str) -> str:
    if low is not None and high is not None:
        return f"{low}–{high}{unit}"
    if low is not None:
        return _("{low}{unit}以上").format(low=low, unit=unit)
    return _("{high}{unit}以下").format(high=high, unit=unit)


def reasons(match: Match) -> list[str]:
    """Why ``match`` ranks where it does, in words (Chinese; English through gettext)."""
    seeker, posting = match.seeker, match.posting
    out: list[str] = []
    intents = _matched_items(seeker.job_intent, posting.words)
    if intents:
        out.append(_("求职意向“{intent}”与岗位相符").format(intent="、".join(intents)))
    certificates = _matched_items(seeker.certificates, posting.words)
    if certificates:
        out.append(_("持有技能证书：{certificates}").format(certificates="、".join(certificates)))
    if seeker.skill_level and any(w in posting.words for w in text.words(seeker.skill_level)):
        out.append(_("技能等级：{level}").format(level=seeker.skill_level))
    if not intents and not certificates and match.text <= 0:
        out.append(_("求职意向与岗位无共同词语"))
    if posting.min_education:
        need = _("{education}及以上").format(education=posting.min_education)
        if not seeker.education:
            out.append(_("学历未登记，岗位要求“{need}”").format(need=need))
        elif match.education_ok:
            out.append(
                _("学历{education}，满足“{need}”").format(education=seeker.education, need=need)
            )
        else:
            out.append(
                _("学历{education}，低于“{need}”").format(education=seeker.education, need=need)
            )
    if posting.age_min is not None or posting.age_max is not None:
        span = _range(posting.age_min, posting.age_max, _("岁"))
        if match.age_ok:
            out.append(_("年龄{age}岁，在{span}之间").format(age=seeker.age, span=span))
        else:
            out.append(_("年龄{age}岁，不在{span}之间").format(age=seeker.age, span=span))
    out.append(
        {
            "community": _("同一社区"),
            "street": _("同一街道"),
            "district": _("同区其他街道"),
        }[match.place]
    )
    if posting.pay_min is not None or posting.pay_max is not None:
        out.append(_("月薪{pay}").format(pay=_range(posting.pay_min, posting.pay_max, _("元"))))
    else:
        out.append(_("月薪面议"))
    if posting.public_welfare:
        out.append(_("公益性岗位（限就业困难人员）"))
    if seeker.difficult:
        out.append(_("就业困难人员，优先推荐"))
    elif seeker.zero_family:
        out.append(_("零就业家庭成员，优先推荐"))
    return out
