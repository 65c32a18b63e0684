"""What an import reports: one :class:`Issue` per problem, located by sheet, row and column.

The messages of the file, its cells and its references are kept here in both languages (the
CLI's ``--lang en`` and the English UI pick ``message_en``); each has a stable ``code`` the tests
and the error workbook use. A row that fails a rule check reports the check's own
:class:`~jiuye.lib.problems.Problem` (``registry.checks``, ``casework.checks``: its code and
words, the same a form shows), so no rule's wording is repeated here. Values are masked like
everything else the system shows (an ID or phone number keeps its ends only).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from jiuye.lib.masking import mask_text
from jiuye.lib.problems import Problem

MESSAGES: dict[str, tuple[str, str]] = {
    # Who imports (issue 11, finding 4: the street and the district read and review).
    "not_permitted": (
        "只有社区工作者和网格协管员可以导入台账；街道和区级用户只能查阅和审核",
        "Only community workers and grid coordinators may import ledgers; street and district "
        "users read and review",
    ),
    # The file as a whole.
    "file_missing": ("找不到文件：{name}", "File not found: {name}"),
    "file_too_large": (
        "文件过大（{size} MB），上限为 {limit} MB",
        "The file is too large ({size} MB); the limit is {limit} MB",
    ),
    "file_empty": ("文件是空的", "The file is empty"),
    "not_excel": (
        "不是 Excel 工作簿（.xlsx）或 CSV 文件",
        "Not an Excel workbook (.xlsx) or a CSV file",
    ),
    "xls_format": (
        "这是旧版 Excel 97-2003 文件（.xls），请在 Excel 中另存为 .xlsx 后再导入",
        "This is an old Excel 97-2003 file (.xls); save it as .xlsx in Excel and import again",
    ),
    "encrypted": (
        "工作簿设有打开密码，请取消密码后再导入",
        "The workbook is password-protected; remove the password and import again",
    ),
    "corrupt": (
        "文件已损坏或不完整，无法读取（{detail}）",
        "The file is damaged or incomplete and cannot be read ({detail})",
    ),
    "too_big_inside": (
        "工作簿解压后过大（{size} MB），上限为 {limit} MB",
        "The workbook is too large once unpacked ({size} MB); the limit is {limit} MB",
    ),
    "zip_ratio": (
        "工作簿中的“{member}”压缩比异常（{ratio} 倍，上限为 {limit} 倍），可能是为耗尽服务器资源"
        "而构造的文件，未作处理",
        "'{member}' in the workbook is packed abnormally tightly ({ratio} to 1; the limit is "
        "{limit} to 1): the file may be built to exhaust the server, and was not processed",
    ),
    "zip_members": (
        "工作簿包含的部件过多（{count} 个），上限为 {limit} 个",
        "The workbook has too many parts ({count}); the limit is {limit}",
    ),
    "csv_encoding": (
        "CSV 文件的编码无法识别，请另存为“CSV UTF-8”",
        "The CSV file's encoding is not recognised; save it as 'CSV UTF-8'",
    ),
    "csv_sheet": (
        "无法从文件名“{name}”判断是哪张表，请把文件命名为 单位、户、人员、就业状态、"
        "困难认定、服务记录、用人单位、岗位、劳动合同 或 裁员",
        "Cannot tell which sheet the file '{name}' holds; name it units, households, persons, "
        "statuses, recognitions, services, employers, postings, contracts or layoffs",
    ),
    "no_sheets": (
        "没有可导入的工作表（应为 单位、户、人员、就业状态、困难认定、服务记录、用人单位、岗位、"
        "劳动合同、裁员 中的一张或几张）",
        "No sheet to import (expected one or more of units, households, persons, statuses, "
        "recognitions, services, employers, postings, contracts, layoffs)",
    ),
    "unknown_sheet": (
        "未知的工作表“{name}”：可导入的工作表为 单位、户、人员、就业状态、困难认定、服务记录、"
        "用人单位、岗位、劳动合同、裁员",
        "Unknown sheet '{name}': the sheets that can be imported are units, households, "
        "persons, statuses, recognitions, services, employers, postings, contracts, layoffs",
    ),
    "duplicate_sheet": (
        "工作表“{name}”出现了不止一次",
        "The sheet '{name}' appears more than once",
    ),
    # A sheet's header row.
    "no_header": ("工作表没有表头行", "The sheet has no header row"),
    "merged_header": (
        "表头有合并单元格（{ref}），请取消合并，每列一个列名",
        "The header row has merged cells ({ref}); unmerge them, one name per column",
    ),
    "missing_column": ("缺少必填列“{column}”", "Required column '{column}' is missing"),
    "unknown_column": (
        "未知的列“{column}”，请删除该列或改为规定的列名",
        "Unknown column '{column}'; delete it or use one of the defined names",
    ),
    "duplicate_column": ("列“{column}”出现了不止一次", "Column '{column}' appears more than once"),
    # One cell.
    "formula": (
        "单元格含有公式，请复制后“选择性粘贴 → 数值”再导入",
        "The cell holds a formula; copy and 'paste values' before importing",
    ),
    "cell_too_long": (
        "单元格内容过长（{length} 个字符），上限为 {limit}",
        "The cell is too long ({length} characters); the limit is {limit}",
    ),
    "too_long": (
        "内容过长（{length} 个字符），最多 {limit} 个",
        "Too long ({length} characters); at most {limit}",
    ),
    "required": ("必填项为空", "Required value is empty"),
    "enum": ("无效的取值，应为：{allowed}", "Invalid value; expected one of: {allowed}"),
    "bool": ("应填“{yes}”或“{no}”", "Expected '{yes}' or '{no}'"),
    "date": (
        "无效的日期，应为 YYYY-MM-DD 或 Excel 日期",
        "Invalid date; expected YYYY-MM-DD or an Excel date",
    ),
    "date_range": ("日期超出合理范围（1900 年至今后）", "Date out of range (1900 onwards)"),
    "int": (
        "应为 {minimum} 至 {maximum} 之间的整数",
        "Expected a whole number from {minimum} to {maximum}",
    ),
    "decimal": ("应为不小于 0 的金额", "Expected an amount of 0 or more"),
    "code": ("代码只能包含字母和数字", "A code may contain only letters and digits"),
    "phone": (
        "联系电话只能包含数字、空格、+ 和 -",
        "A phone number may contain only digits, spaces, + and -",
    ),
    "phone_masked": (
        "联系电话已脱敏，无法导入",
        "The phone number is masked and cannot be imported",
    ),
    "id_masked": ("身份证号码已脱敏，无法导入", "The ID number is masked and cannot be imported"),
    "id_as_number": (
        "身份证号码被 Excel 存成了数字，末几位已丢失；请把该列设为文本格式后重新录入",
        "Excel stored the ID number as a number and lost its last digits; format the column as "
        "text and enter the number again",
    ),
    "id_empty": ("身份证号码为空", "The ID number is empty"),
    "id_length": ("身份证号码应为18位", "An ID number has 18 characters"),
    "id_format": (
        "身份证号码前17位须为数字，末位为数字或X",
        "An ID number is 17 digits and a digit or X",
    ),
    "id_checksum": ("身份证号码校验位错误", "The ID number's check digit is wrong"),
    "id_birth_date": (
        "身份证号码中的出生日期不存在",
        "The birth date in the ID number does not exist",
    ),
    "id_future": (
        "身份证号码中的出生日期晚于今天",
        "The birth date in the ID number is in the future",
    ),
    "id_region": (
        "身份证号码中的地区代码不存在",
        "The region code in the ID number does not exist",
    ),
    # Rows and references.
    "duplicate_in_file": (
        "与第 {first_row} 行重复",
        "Duplicates row {first_row}",
    ),
    "conflict_in_file": (
        "与第 {first_row} 行的同一记录内容不一致",
        "The same record differs from row {first_row}",
    ),
    "duplicate_registry": (
        "该身份证号码已登记，但姓名不一致（登记为 {registered}）；如需更正姓名请在系统中修改",
        "The ID number is registered under another name ({registered}); correct the name in the "
        "system if it changed",
    ),
    "registered_elsewhere": (
        "该身份证号码已在您管辖范围以外的单位登记，请联系上级单位办理迁移",
        "The ID number is registered in a unit outside your jurisdiction; ask the higher unit to "
        "move the person",
    ),
    "name_mismatch": (
        "姓名与人员表或系统中的“{name}”不一致，请核对身份证号码",
        "The name differs from '{name}' in the persons sheet or the system; check the ID number",
    ),
    "unknown_unit": ("单位代码 {ref} 不存在", "Unit code {ref} does not exist"),
    "unknown_household": ("户编号 {ref} 不存在", "Household number {ref} does not exist"),
    "unknown_person": (
        "身份证号码未登记（人员表和系统中都没有）",
        "The ID number is not registered (neither in the persons sheet nor in the system)",
    ),
    "depends_on_failed_row": (
        "引用的{what}（{other_sheet}第 {other_row} 行）有错误",
        "The referenced {what_en} ({other_sheet} row {other_row}) has errors",
    ),
    "out_of_scope": (
        "{what}不在您的管辖范围内",
        "The {what_en} is outside your jurisdiction",
    ),
    "unit_level": ("{detail}", "{detail_en}"),
    "unit_changed": (
        "不能通过导入更改单位的{what}（系统中为 {old}）",
        "An import cannot change a unit's {what_en} (it is {old} in the system)",
    ),
    "household_unit_level": (
        "户只能属于社区、村或网格，{ref} 是{level}",
        "A household belongs to a community, village or grid; {ref} is a {level_en}",
    ),
    "female_base_male": (
        "女性退休基准只适用于女性",
        "The female retirement base applies to women only",
    ),
    # Employers and jobs (DOMAIN §8).
    "unknown_employer": (
        "统一社会信用代码 {ref} 的用人单位不存在（用人单位表和系统中都没有）",
        "No employer has the unified social credit code {ref} (neither in the employers sheet "
        "nor in the system)",
    ),
    "employer_unit_level": (
        "用人单位须位于社区、村或网格，{ref} 是{level}",
        "An employer is located in a community, village or grid; {ref} is a {level_en}",
    ),
    "employer_conflict": (
        "同一用人单位的{what}与第 {first_row} 行不一致",
        "The employer's {what_en} differs from row {first_row}",
    ),
    "staff_report_incomplete": (
        "职工人数和报告日期须同时填写或同时留空",
        "The staff count and the report date go together: fill both or neither",
    ),
    "posting_employer_changed": (
        "不能通过导入更改岗位所属的用人单位（系统中为 {old}）",
        "An import cannot move a posting to another employer (it is {old} in the system)",
    ),
    "vacancies_below_filled": (
        "招聘人数不能少于已录用人数（{filled}）",
        "The vacancies cannot be fewer than the hires already made ({filled})",
    ),
    "crashed": (
        "导入中断，数据库未作任何更改（{detail}）",
        "The import stopped; nothing was changed in the database ({detail})",
    ),
}

# English words for the Chinese ones substituted into messages.
WORDS_EN = {
    "户": "household",
    "人员": "person",
    "单位": "unit",
    "上级单位": "parent unit",
    "层级": "level",
    "用人单位": "employer",
    "岗位": "posting",
    "名称": "name",
    "行业": "industry",
    "单位代码": "unit code",
}


@dataclass(frozen=True)
class Issue:
    """One problem. ``row`` is the worksheet's row number (1 = header row); ``None`` for
    problems of a whole file or sheet; ``column`` the header as the file has it."""

    sheet: str
    row: int | None
    column: str
    value: str
    code: str
    message_zh: str
    message_en: str

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def location(self, lang: str = "zh") -> str:
        parts = [self.sheet] if self.sheet else []
        if self.row is not None:
            parts.append(f"row {self.row}" if lang == "en" else f"第{self.row}行")
        if self.column:
            parts.append(self.column)
        return " ".join(parts)


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if len(text) > 200:
        text = text[:200] + "…"
    return mask_text(text)


def make_issue(
    code: str,
    *,
    sheet: str = "",
    row: int | None = None,
    column: str = "",
    value: Any = None,
    **params: Any,
) -> Issue:
    zh, en = MESSAGES[code]
    full = {"column": column, **params}
    for key, val in params.items():
        if not key.endswith("_en"):
            full.setdefault(f"{key}_en", WORDS_EN.get(str(val), str(val)))
    return Issue(
        sheet=sheet,
        row=row,
        column=column,
        value=_value_text(value),
        code=code,
        message_zh=zh.format(**full),
        message_en=en.format(**full),
    )


def issue_from_problem(
    problem: Problem, *, sheet: str, row: int | None, column: str, value: Any = None
) -> Issue:
    """A rule check's problem, located (its code and words unchanged)."""
    return Issue(
        sheet=sheet,
        row=row,
        column=column,
        value=_value_text(value),
        code=problem.code,
        message_zh=problem.zh,
        message_en=problem.en,
    )


class LedgerFileError(Exception):
    """A problem with a whole file (unreadable, wrong kind, too large…): nothing is imported."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message_zh)
        self.issue = issue
