"""The ledger workbook contract (DESIGN.md "Interfaces"): sheets, columns, types, enumerations.

Every reader, validator, writer, the template and the export take their sheet and column names
from here, so the contract lives in one place. A sheet or column is found by its Chinese name
(the contract) or an English alias, case- and space-insensitively; columns may come in any order.

Beyond the contract's columns some sheets carry optional *extension* columns so that everything
the registry holds goes out and comes back loss-free (the export writes them, the template offers
them): the person's 精准扶贫劳动力 flag and the five ten-clears fields of ``UnemployedProfile``;
a recognition's 备注; a service record's 培训进度, 政策名称, 金额 and 经办人. The dependent
sheets also accept an optional 姓名 column: when filled it must match the person's name, which
catches a mistyped ID number that happens to be valid. A 序号 column is always ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from django.utils import translation

from jiuye.casework.models import ServiceKind, SurveyOutcome, TrainingMode
from jiuye.jobs.models import ContractKind
from jiuye.registry.models import DifficultyCategory, HukouType, Status
from jiuye.units.models import Level

EXCEL_MAX_CELL = 32_767  # characters in one cell: Excel's own limit
EXCEL_MAX_ROWS = 1_048_576  # rows in one worksheet, header included
SHEET_ROWS = 1_000_000  # data rows the export puts on one sheet before continuing on "名称(2)"


class Kind(StrEnum):
    TEXT = "text"
    CODE = "code"  # a unit code or household number: letters and digits
    ID = "id"  # a resident ID number
    PHONE = "phone"
    DATE = "date"
    BOOL = "bool"  # 是/否 (also 有/无)
    ENUM = "enum"
    INT = "int"
    DECIMAL = "decimal"


@dataclass(frozen=True)
class Column:
    key: str  # the internal name (the model field where there is one)
    zh: str  # the header of the contract
    en: str  # the English alias
    kind: Kind = Kind.TEXT
    required: bool = False
    max_length: int = 200
    # ENUM: the label written out for each stored value, in order (the first label of a value is
    # the one exported; further ones are accepted on import).
    choices: tuple[tuple[str, str], ...] = ()
    synonyms: tuple[str, ...] = ()  # further accepted headers
    minimum: int | None = None
    maximum: int | None = None
    width: int = 12  # column width in the workbooks
    help: str = ""  # a line for the instructions sheet

    @cached_property
    def _label_by_value(self) -> dict[str, str]:
        # Built once per column: an export asks it for millions of cells.
        seen: dict[str, str] = {}
        for label, value in self.choices:
            seen.setdefault(value, label)
        return seen

    @cached_property
    def labels(self) -> list[str]:
        """The labels offered in the template's drop-down, one per stored value."""
        return list(self._label_by_value.values())

    def label_of(self, value: str) -> str:
        """The label exported for a stored value (the first one given for it)."""
        return self._label_by_value.get(value, value)


@dataclass(frozen=True)
class Sheet:
    key: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    synonyms: tuple[str, ...] = ()
    help: str = ""
    by_key: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {c.key: c for c in self.columns})

    def column(self, key: str) -> Column:
        return self.by_key[key]

    @property
    def headers(self) -> list[str]:
        return [c.zh for c in self.columns]


def _enum(values: list[tuple[str, str]], *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    """(label, value) pairs: every label, plus the internal values themselves (English)."""
    pairs = [*values, *extra]
    pairs += [(value, value) for _label, value in values]
    return tuple(pairs)


def zh_choices(choices: Any) -> list[tuple[str, str]]:
    """(Chinese label, stored value) of a model's choices. The workbook's values are Chinese
    whatever language the user's pages are in (DESIGN.md's contract), and these tables are
    built once, so the labels are taken in Chinese explicitly: built while English was active
    they would refuse every Chinese workbook afterwards."""
    with translation.override("zh-hans"):
        return [(str(label), value) for value, label in choices]


YES_NO = (
    ("是", "1"),
    ("否", "0"),
    ("有", "1"),
    ("无", "0"),
    ("yes", "1"),
    ("no", "0"),
    ("y", "1"),
    ("n", "0"),
    ("true", "1"),
    ("false", "0"),
    ("1", "1"),
    ("0", "0"),
)
HAS = (("有", "1"), ("无", "0"), *YES_NO)

LEVEL_CHOICES = _enum(
    [
        ("区", Level.DISTRICT),
        ("街道", Level.STREET),
        ("镇", Level.TOWN),
        ("社区", Level.COMMUNITY),
        ("村", Level.VILLAGE),
        ("网格", Level.GRID),
        ("市", Level.CITY),
    ],
    ("县", Level.DISTRICT),
    ("乡", Level.TOWN),
)
HUKOU_CHOICES = _enum(zh_choices(HukouType.choices))
STATUS_CHOICES = _enum(
    zh_choices(Status.choices),
    ("个体", Status.SELF),
    ("就业", Status.UNIT),
)
CATEGORY_CHOICES = _enum(
    [
        ("4050", DifficultyCategory.C4050),
        ("低保", DifficultyCategory.DIBAO),
        ("残疾", DifficultyCategory.DISABLED),
        ("零就业家庭", DifficultyCategory.ZERO_FAMILY),
        ("长期失业", DifficultyCategory.LONG_TERM),
        ("失地农民", DifficultyCategory.LANDLESS),
        ("其他", DifficultyCategory.OTHER),
    ],
    ("4050人员", DifficultyCategory.C4050),
    ("低保户", DifficultyCategory.DIBAO),
    ("残疾人", DifficultyCategory.DISABLED),
    ("长期失业人员", DifficultyCategory.LONG_TERM),
)
KIND_CHOICES = _enum(
    zh_choices(ServiceKind.choices),
    ("推荐就业", ServiceKind.REFERRAL),
    ("入户", ServiceKind.VISIT),
    ("入户走访", ServiceKind.VISIT),
    ("电话", ServiceKind.CONTACT),
)
MODE_CHOICES = _enum(zh_choices(TrainingMode.choices))
# 结果: a survey's outcome or a complaint's validity (the two share the column).
OUTCOME_CHOICES = _enum(
    [
        *zh_choices(SurveyOutcome.choices),
        ("有效", "valid"),
        ("无效", "invalid"),
    ],
)
# 培训进度: blank means enrolled (as ``service_record_create`` defaults it).
PROGRESS_CHOICES = _enum(
    [("未参训", "none"), ("已参训", "enrolled"), ("已结业", "completed"), ("已取证", "certified")],
    ("参训", "enrolled"),
    ("结业", "completed"),
    ("取证", "certified"),
)
FEMALE_BASE_CHOICES = (("50", "50"), ("55", "55"))

ID = Column(
    "id_number",
    "公民身份号码",
    "id_number",
    Kind.ID,
    required=True,
    max_length=18,
    synonyms=("身份证号码", "身份证号", "证件号码", "id", "id number"),
    width=21,
    help="18位居民身份证号码（15位旧号自动转换），请设为文本格式",
)
NAME_CHECK = Column(
    "name", "姓名", "name", max_length=60, width=10, help="可选；填写时须与人员表中的姓名一致"
)

UNITS = Sheet(
    "units",
    "单位",
    "units",
    (
        Column(
            "code",
            "代码",
            "code",
            Kind.CODE,
            required=True,
            max_length=20,
            width=16,
            synonyms=("单位代码", "unit_code"),
            help="统计用区划代码；网格在社区代码后加后缀",
        ),
        Column(
            "name", "名称", "name", required=True, max_length=100, width=16, synonyms=("单位名称",)
        ),
        Column("level", "层级", "level", Kind.ENUM, required=True, choices=LEVEL_CHOICES, width=8),
        Column(
            "parent",
            "上级代码",
            "parent_code",
            Kind.CODE,
            max_length=20,
            width=16,
            synonyms=("上级单位代码", "parent"),
            help="区（县）以外必填",
        ),
        # Optional: the community's service station as its public notice board shows it
        # (an office's address, phone and hours, never a resident's). A blank cell keeps the
        # stored value.
        Column(
            "station_address",
            "服务站地址",
            "station_address",
            max_length=200,
            width=28,
            synonyms=("服务站",),
            help="可选；社区（村）劳动保障服务站的地址，公示牌上公开",
        ),
        Column(
            "station_phone",
            "服务站电话",
            "station_phone",
            Kind.PHONE,
            max_length=40,
            width=16,
            synonyms=("服务电话", "station phone"),
            help="可选；服务站的办公电话（不要填写个人手机号），公示牌上公开",
        ),
        Column(
            "station_hours",
            "服务时间",
            "station_hours",
            max_length=100,
            width=20,
            synonyms=("办公时间", "opening_hours", "hours"),
            help="可选；如“周一至周五 8:30-17:30”",
        ),
    ),
    synonyms=("unit",),
    help="单位树：区 → 街道/镇 → 社区/村 → 网格",
)

HOUSEHOLDS = Sheet(
    "households",
    "户",
    "households",
    (
        Column(
            "number",
            "户编号",
            "household_number",
            required=True,
            max_length=32,
            synonyms=("number",),
            width=18,
        ),
        Column(
            "unit",
            "单位代码",
            "unit_code",
            Kind.CODE,
            required=True,
            max_length=20,
            width=16,
            synonyms=("社区代码", "网格代码"),
            help="所在社区、村或网格的代码",
        ),
        Column(
            "hukou_type",
            "户籍性质",
            "hukou_type",
            Kind.ENUM,
            required=True,
            choices=HUKOU_CHOICES,
            width=10,
        ),
        Column("address", "地址", "address", max_length=200, width=28),
        Column(
            "dibao", "低保户", "dibao", Kind.BOOL, choices=YES_NO, width=8, help="是/否，空为否"
        ),
    ),
    synonyms=("household", "户信息"),
)

PERSONS = Sheet(
    "persons",
    "人员",
    "persons",
    (
        ID,
        Column("name", "姓名", "name", required=True, max_length=60, width=10),
        Column("household", "户编号", "household_number", required=True, max_length=32, width=18),
        Column("relation", "与户主关系", "relation", max_length=20, width=10),
        Column(
            "hukou_type",
            "户籍性质",
            "hukou_type",
            Kind.ENUM,
            choices=HUKOU_CHOICES,
            width=10,
            help="空为所在户的户籍性质",
        ),
        Column(
            "phone",
            "联系电话",
            "phone",
            Kind.PHONE,
            max_length=20,
            width=14,
            synonyms=("电话", "手机号", "手机号码"),
        ),
        Column("able", "劳动能力", "able", Kind.BOOL, choices=HAS, width=8, help="有/无，空为有"),
        Column(
            "willing", "就业愿望", "willing", Kind.BOOL, choices=HAS, width=8, help="有/无，空为有"
        ),
        Column(
            "female_base",
            "女性退休基准",
            "female_base",
            Kind.ENUM,
            choices=FEMALE_BASE_CHOICES,
            width=8,
            help="女性 50 或 55，空为 55",
        ),
        Column("education", "文化程度", "education", max_length=20, width=10),
        Column("skill_level", "技能等级", "skill_level", max_length=40, width=10),
        Column("disabled", "残疾", "disabled", Kind.BOOL, choices=YES_NO, width=6),
        Column(
            "veteran",
            "退役军人",
            "veteran",
            Kind.BOOL,
            choices=YES_NO,
            width=8,
            synonyms=("复转军人",),
        ),
        Column("migrant_worker", "农民工", "migrant_worker", Kind.BOOL, choices=YES_NO, width=8),
        Column("landless", "失地农民", "landless", Kind.BOOL, choices=YES_NO, width=8),
        Column(
            "graduate_year",
            "高校毕业年份",
            "graduate_year",
            Kind.INT,
            minimum=1950,
            maximum=2100,
            width=10,
        ),
        # Extensions (loss-free round trip).
        Column(
            "poverty_labor", "精准扶贫劳动力", "poverty_labor", Kind.BOOL, choices=YES_NO, width=8
        ),
        Column(
            "family_situation",
            "家庭状况",
            "family_situation",
            max_length=300,
            width=16,
            help="十清：家庭状况",
        ),
        Column(
            "training_need",
            "培训要求",
            "training_need",
            max_length=300,
            width=16,
            help="十清：培训要求",
        ),
        Column(
            "destination",
            "就业去向",
            "destination",
            max_length=300,
            width=16,
            help="十清：就业去向",
        ),
        Column("policies", "政策享受", "policies", max_length=300, width=16, help="十清：政策享受"),
        Column(
            "social_insurance",
            "社会保险关系",
            "social_insurance",
            max_length=300,
            width=16,
            help="十清：社会保险关系",
        ),
        # For matching (DOMAIN §8): what the person wants and holds.
        Column(
            "job_intent",
            "求职意向",
            "job_intent",
            max_length=200,
            width=16,
            synonyms=("求职岗位",),
            help="可选；想从事的工作，如“电工、水电维修”",
        ),
        Column(
            "certificates",
            "技能证书",
            "certificates",
            max_length=300,
            width=20,
            synonyms=("职业资格证书",),
            help="可选；多个证书用、分隔",
        ),
    ),
    synonyms=("person", "人员信息"),
)

STATUSES = Sheet(
    "statuses",
    "就业状态",
    "statuses",
    (
        ID,
        NAME_CHECK,
        Column(
            "status", "状态", "status", Kind.ENUM, required=True, choices=STATUS_CHOICES, width=10
        ),
        Column(
            "since",
            "起始日期",
            "since",
            Kind.DATE,
            required=True,
            width=12,
            synonyms=("日期", "date"),
        ),
        Column(
            "registered",
            "登记失业",
            "registered",
            Kind.BOOL,
            choices=YES_NO,
            width=8,
            help="只有失业可以登记失业",
        ),
        Column("employer", "单位或去向", "employer", max_length=200, width=20),
        Column("cause", "失业原因", "cause", max_length=200, width=14),
    ),
    synonyms=("status", "employment"),
)

RECOGNITIONS = Sheet(
    "recognitions",
    "困难认定",
    "recognitions",
    (
        ID,
        NAME_CHECK,
        Column(
            "category",
            "类别",
            "category",
            Kind.ENUM,
            required=True,
            choices=CATEGORY_CHOICES,
            width=12,
        ),
        Column("recognized_on", "认定日期", "recognized_on", Kind.DATE, required=True, width=12),
        Column("ended_on", "退出日期", "ended_on", Kind.DATE, width=12),
        Column("note", "备注", "note", max_length=200, width=16),
    ),
    synonyms=("recognition", "difficulty", "就业困难认定"),
)

SERVICES = Sheet(
    "services",
    "服务记录",
    "services",
    (
        ID,
        NAME_CHECK,
        Column(
            "kind",
            "类型",
            "kind",
            Kind.ENUM,
            required=True,
            choices=KIND_CHOICES,
            width=10,
            synonyms=("服务类型",),
        ),
        Column("on", "日期", "date", Kind.DATE, required=True, width=12, synonyms=("服务日期",)),
        Column(
            "training_mode",
            "培训模式",
            "training_mode",
            Kind.ENUM,
            choices=MODE_CHOICES,
            width=8,
            help="职业培训必填",
        ),
        Column(
            "outcome",
            "结果",
            "outcome",
            Kind.ENUM,
            choices=OUTCOME_CHOICES,
            width=10,
            help="满意度测评：非常满意/满意/一般/不满意；投诉：有效/无效",
        ),
        Column("note", "备注", "note", max_length=500, width=20),
        # Extensions (loss-free round trip).
        Column(
            "progress",
            "培训进度",
            "training_progress",
            Kind.ENUM,
            choices=PROGRESS_CHOICES,
            width=8,
            help="职业培训：未参训/已参训/已结业/已取证，空为已参训",
        ),
        Column(
            "policy_name", "政策名称", "policy_name", max_length=100, width=16, help="政策落实必填"
        ),
        Column("amount", "金额", "amount", Kind.DECIMAL, width=10, help="政策落实：金额（元）"),
        Column("by_name", "经办人", "recorded_by", max_length=60, width=10),
    ),
    synonyms=("service", "服务"),
)

# -- Employers and jobs (DOMAIN §8): an employer by its unified social credit code, its staff
# reports (职工人数 on 报告日期), its postings, labor contracts and layoffs.
CONTRACT_KIND_CHOICES = _enum(
    zh_choices(ContractKind.choices),
    ("解除", ContractKind.ENDED),
    ("新签", ContractKind.SIGNED),
)
USCC = Column(
    "uscc",
    "统一社会信用代码",
    "uscc",
    required=True,
    max_length=40,
    width=22,
    synonyms=("信用代码", "社会信用代码", "credit_code"),
    help="18位统一社会信用代码（末位为校验码）",
)

EMPLOYERS = Sheet(
    "employers",
    "用人单位",
    "employers",
    (
        USCC,
        Column(
            "name",
            "名称",
            "name",
            required=True,
            max_length=200,
            width=24,
            synonyms=("单位名称", "用人单位名称"),
        ),
        Column(
            "unit",
            "单位代码",
            "unit_code",
            Kind.CODE,
            required=True,
            max_length=20,
            width=16,
            synonyms=("所在社区代码", "社区代码"),
            help="所在社区、村或网格的代码（网格记入其社区）",
        ),
        Column("industry", "行业", "industry", max_length=60, width=12),
        Column(
            "staff",
            "职工人数",
            "staff",
            Kind.INT,
            width=8,
            help="与报告日期同填或同空；同一单位可有多行，每行一个报告日期",
        ),
        Column("reported_on", "报告日期", "reported_on", Kind.DATE, width=12),
    ),
    synonyms=("employer", "企业"),
    help="用人单位及其职工人数报告",
)

POSTINGS = Sheet(
    "postings",
    "岗位",
    "postings",
    (
        Column(
            "number",
            "岗位编号",
            "posting_number",
            required=True,
            max_length=32,
            width=16,
            synonyms=("number", "编号"),
        ),
        USCC,
        Column("title", "岗位名称", "title", required=True, max_length=100, width=16),
        Column(
            "occupation",
            "职业编码",
            "occupation_code",
            max_length=11,
            width=12,
            synonyms=("occupation",),
            help="可选；职业分类大典编码，如 4-07-05-01",
        ),
        Column("skills", "技能要求", "skills", max_length=500, width=24),
        Column(
            "min_education",
            "学历要求",
            "min_education",
            max_length=8,
            width=8,
            help="可选；初中/高中/中专/大专/本科/硕士/博士",
        ),
        Column("age_min", "年龄下限", "age_min", Kind.INT, width=8),
        Column("age_max", "年龄上限", "age_max", Kind.INT, width=8),
        Column("vacancies", "招聘人数", "vacancies", Kind.INT, required=True, width=8),
        Column("pay_min", "月薪下限", "pay_min", Kind.INT, minimum=0, width=8),
        Column("pay_max", "月薪上限", "pay_max", Kind.INT, minimum=0, width=8),
        Column(
            "unit",
            "工作地点单位代码",
            "work_unit_code",
            Kind.CODE,
            required=True,
            max_length=20,
            width=16,
            synonyms=("工作地点",),
        ),
        Column(
            "public_welfare",
            "公益性岗位",
            "public_welfare",
            Kind.BOOL,
            choices=YES_NO,
            width=8,
            help="是/否，空为否；公益性岗位只面向认定的就业困难人员",
        ),
        Column("opens_on", "发布日期", "opens_on", Kind.DATE, required=True, width=12),
        Column("closes_on", "截止日期", "closes_on", Kind.DATE, width=12, help="空为长期有效"),
    ),
    synonyms=("posting", "岗位信息", "jobs"),
)

CONTRACTS = Sheet(
    "contracts",
    "劳动合同",
    "contracts",
    (
        USCC,
        ID,
        Column(
            "kind",
            "事项",
            "event",
            Kind.ENUM,
            required=True,
            choices=CONTRACT_KIND_CHOICES,
            width=8,
            synonyms=("kind",),
        ),
        Column("on", "日期", "date", Kind.DATE, required=True, width=12),
        Column(
            "term_months",
            "期限月数",
            "term_months",
            Kind.INT,
            maximum=1200,
            width=8,
            help="签订、续订必填；终止不填",
        ),
    ),
    synonyms=("contract", "劳动合同签订"),
)

LAYOFFS = Sheet(
    "layoffs",
    "裁员",
    "layoffs",
    (
        USCC,
        Column("on", "日期", "date", Kind.DATE, required=True, width=12),
        Column("count", "人数", "count", Kind.INT, required=True, width=8),
        Column(
            "reason",
            "原因",
            "reason",
            required=True,
            max_length=200,
            width=20,
            help="如 经营困难、停产、破产、转产",
        ),
    ),
    synonyms=("layoff",),
)

REGISTRY_SHEETS: tuple[Sheet, ...] = (UNITS, HOUSEHOLDS, PERSONS, STATUSES, RECOGNITIONS, SERVICES)
JOBS_SHEETS: tuple[Sheet, ...] = (EMPLOYERS, POSTINGS, CONTRACTS, LAYOFFS)
SHEETS: tuple[Sheet, ...] = (*REGISTRY_SHEETS, *JOBS_SHEETS)
SHEET_BY_KEY = {s.key: s for s in SHEETS}
IGNORED_COLUMNS = frozenset({"序号", "no", "no.", "#"})
# Sheets of an exported workbook that are views, not data: an import skips them.
INSTRUCTIONS_SHEET = "填写说明"
LEDGER_SHEET_SUFFIX = "台账"


def fold(text: str) -> str:
    """Header / name comparison: NFKC (full-width → ASCII), case, spaces, underscores."""
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return re.sub(r"[\s_\-]+", "", text)


_SHEET_NAMES: dict[str, Sheet] = {}
for _sheet in SHEETS:
    for _name in (_sheet.zh, _sheet.en, _sheet.key, *_sheet.synonyms):
        _SHEET_NAMES[fold(_name)] = _sheet
# "人员(2)", "人员 (3)", "人员（2）": continuation sheets (one sheet holds at most ~1M rows).
_CONTINUATION = re.compile(r"^(.*?)\s*[(（]\s*(\d+)\s*[)）]$")


def sheet_for(name: str) -> tuple[Sheet | None, int]:
    """The sheet a worksheet or CSV file name stands for, and its part number (1, 2, …)."""
    sheet = _SHEET_NAMES.get(fold(name))
    if sheet is not None:
        return sheet, 1
    match = _CONTINUATION.match(name.strip())
    if match:
        sheet = _SHEET_NAMES.get(fold(match.group(1)))
        if sheet is not None:
            return sheet, int(match.group(2))
    return None, 0


def is_view_sheet(name: str) -> bool:
    """The instructions sheet and the ten ledger sheets of an export (never imported)."""
    stripped = name.strip()
    match = _CONTINUATION.match(stripped)
    if match:  # "劳动力资源台账(2)"
        stripped = match.group(1)
    return stripped in (INSTRUCTIONS_SHEET, "说明") or stripped.endswith(LEDGER_SHEET_SUFFIX)


def header_map(sheet: Sheet) -> dict[str, Column]:
    names: dict[str, Column] = {}
    for column in sheet.columns:
        for name in (column.zh, column.en, column.key, *column.synonyms):
            names.setdefault(fold(name), column)
    return names


HEADER_MAPS = {s.key: header_map(s) for s in SHEETS}


def sheet_part_name(sheet: Sheet, part: int) -> str:
    return sheet.zh if part == 1 else f"{sheet.zh}({part})"
