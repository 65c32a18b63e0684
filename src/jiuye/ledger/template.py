"""The empty ledger workbook: headers, drop-downs and an instructions sheet (openpyxl)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from jiuye.ledger.columns import INSTRUCTIONS_SHEET, SHEETS, Column, Kind

REQUIRED_FILL = PatternFill("solid", fgColor="FFF4B183")
OPTIONAL_FILL = PatternFill("solid", fgColor="FFDDEBF7")
EXTENSION_KEYS = {
    "persons": {
        "poverty_labor",
        "family_situation",
        "training_need",
        "destination",
        "policies",
        "social_insurance",
    },
    "recognitions": {"note"},
    "services": {"progress", "policy_name", "amount", "by_name"},
}
LAST_ROW = 1_048_576

KIND_TEXT = {
    Kind.TEXT: "文本",
    Kind.CODE: "字母或数字",
    Kind.ID: "18位身份证号码（文本）",
    Kind.PHONE: "数字",
    Kind.DATE: "日期：YYYY-MM-DD 或 Excel 日期",
    Kind.BOOL: "",
    Kind.ENUM: "",
    Kind.INT: "整数",
    Kind.DECIMAL: "金额",
}

GENERAL = [
    "本工作簿是“就业”系统的台账导入模板。可只填写其中几张表；每张表第一行为列名，列的顺序可以调整，"
    "列名也可用英文别名。",
    "导入顺序：单位 → 户 → 人员 → 就业状态 → 困难认定 → 服务记录 → 用人单位 → 岗位 → 劳动合同 → "
    "裁员。后面的表引用的单位、户、人员、用人单位可以在本工作簿中，也可以是系统中已有的。",
    "用人单位按统一社会信用代码、岗位按岗位编号更新；同一用人单位可写多行，每行一个职工人数报告日期。"
    "劳动合同按用人单位、职工和日期，裁员按用人单位、日期和原因识别。",
    "导入前会先全部校验：有任何错误则不导入任何数据，并列出每个错误所在的工作表、行、列和原因。",
    "再次导入同一工作簿不会产生重复数据：单位按代码、户按户编号、人员按身份证号码更新；同一人同一天的"
    "就业状态以最后导入的为准。空白单元格不会清除系统中已有的内容。",
    "请勿使用公式和合并单元格；身份证号码列请设为文本格式，避免 Excel 把号码变成科学计数法。",
    "橙色列名为必填列，蓝色为选填列。",
]


def _describe(column: Column) -> str:
    if column.kind in (Kind.ENUM, Kind.BOOL):
        return "/".join(column.labels)
    return KIND_TEXT[column.kind]


def write_template(target: str | Path | IO[bytes]) -> None:
    workbook = Workbook()
    info = workbook.active
    assert info is not None
    info.title = INSTRUCTIONS_SHEET
    info.append(["填写说明"])
    info["A1"].font = Font(bold=True, size=14)
    for line in GENERAL:
        info.append([line])
    info.append([])
    head = ["工作表", "列名", "英文列名", "必填", "取值或格式", "说明"]
    info.append(head)
    header_row = info.max_row
    for cell in info[header_row]:
        cell.font = Font(bold=True)
        cell.fill = OPTIONAL_FILL
    for sheet in SHEETS:
        for column in sheet.columns:
            info.append(
                [
                    sheet.zh,
                    column.zh,
                    column.en,
                    "是" if column.required else "",
                    _describe(column),
                    column.help,
                ]
            )
    for letter, width in zip("ABCDEF", (12, 16, 20, 6, 36, 50), strict=True):
        info.column_dimensions[letter].width = width
    for row in info.iter_rows(min_row=2, max_row=len(GENERAL) + 1):
        row[0].alignment = Alignment(wrap_text=False)

    for sheet in SHEETS:
        ws = workbook.create_sheet(sheet.zh)
        ws.append(sheet.headers)
        ws.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            cell = ws.cell(row=1, column=index)
            cell.font = Font(bold=True)
            cell.fill = REQUIRED_FILL if column.required else OPTIONAL_FILL
            ws.column_dimensions[letter].width = max(column.width, len(column.zh) * 2 + 2)
            area = f"{letter}2:{letter}{LAST_ROW}"
            if column.kind in (Kind.ENUM, Kind.BOOL):
                validation = DataValidation(
                    type="list",
                    formula1='"' + ",".join(column.labels) + '"',
                    allow_blank=not column.required,
                    showErrorMessage=True,
                    errorTitle="无效的取值",
                    error="请从下拉列表中选择：" + "/".join(column.labels),
                )
                validation.add(area)
                ws.add_data_validation(validation)
            elif column.kind == Kind.DATE:
                validation = DataValidation(
                    type="date",
                    operator="between",
                    formula1="1",
                    formula2="73050",
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="无效的日期",
                    error="请输入日期，如 2024-01-31",
                )
                validation.add(area)
                ws.add_data_validation(validation)
                ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
            elif column.kind in (Kind.ID, Kind.PHONE, Kind.TEXT, Kind.CODE):
                ws.column_dimensions[letter].number_format = "@"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}1"
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # openpyxl's reading of text starting with "="
                    cell.data_type = "s"  # text is text, never a formula (issue 11, finding 9)
    workbook.save(target)  # type: ignore[arg-type]
