"""The initial-codes sheet (初始密码) as an Excel workbook.

The headers are the document's content (Chinese whatever the interface language), as on the
HR bonus sheet. Every cell is written as a string, so nothing in a name becomes a formula.
"""

import io

import xlsxwriter

CODE_COLUMNS = (("employee_no", "工号"), ("name", "姓名"), ("unit", "单位"), ("code", "初始密码"))


def code_sheet_xlsx(codes: list[dict]) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
    )
    sheet = workbook.add_worksheet("初始密码")
    bold = workbook.add_format({"bold": True})
    code_format = workbook.add_format({"font_name": "Consolas"})
    widths = (12, 12, 24, 14)
    for column, ((_key, header), width) in enumerate(zip(CODE_COLUMNS, widths, strict=True)):
        sheet.write_string(0, column, header, bold)
        sheet.set_column(column, column, width)
    for row, person in enumerate(codes, start=1):
        for column, (key, _header) in enumerate(CODE_COLUMNS):
            cell_format = code_format if key == "code" else None
            sheet.write_string(row, column, str(person.get(key, "")), cell_format)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return output.getvalue()
