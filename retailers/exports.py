"""The territory 登记分类表 (retailer register with classes) as an Excel workbook."""

import io

import xlsxwriter
from django.utils.translation import gettext as _

from .models import ClassificationRecord


def territory_register_xlsx(territory, retailers) -> bytes:
    """One row per retailer with its latest classification and factor scores.

    Text goes through ``write_string``, so a value such as "=cmd()" stays text and is never
    evaluated as a formula.
    """
    retailers = list(retailers)
    latest_month = (
        ClassificationRecord.objects.filter(retailer__territory=territory)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    records = {}
    if latest_month:
        records = {
            r.retailer_id: r
            for r in ClassificationRecord.objects.filter(
                retailer__territory=territory, month=latest_month
            )
        }
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(_("Register"))
    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#F2E6D9", "border": 1, "text_wrap": True})
    text = book.add_format({"border": 1})
    number = book.add_format({"border": 1, "num_format": "0.00"})
    integer = book.add_format({"border": 1, "num_format": "0"})
    month_label = latest_month.strftime("%Y-%m") if latest_month else _("not yet classified")
    sheet.write_string(
        0,
        0,
        _("%(territory)s retailer register and classification (%(month)s)")
        % {"territory": territory.name, "month": month_label},
        title,
    )
    columns = [
        (_("No."), 6),
        (_("Licence number"), 15),
        (_("Shop name"), 22),
        (_("Owner"), 10),
        (_("Phone"), 14),
        (_("Address"), 30),
        (_("Market type"), 8),
        (_("Retail format"), 12),
        (_("Environment"), 12),
        (_("Potential"), 8),
        (_("Grade tier"), 8),
        (_("Status"), 8),
        (_("Class"), 6),
        (_("Weighted score"), 9),
        (_("Scale"), 8),
        (_("Environment score"), 8),
        (_("Potential score"), 8),
        (_("Compliance"), 8),
        (_("Credit"), 8),
        (_("Avg monthly cartons"), 10),
    ]
    for col, (label, width) in enumerate(columns):
        sheet.write_string(2, col, str(label), head)
        sheet.set_column(col, col, width)
    row = 3
    for number_in_list, retailer in enumerate(retailers, start=1):
        values = [
            retailer.license_no,
            retailer.shop_name,
            retailer.owner_name,
            retailer.phone,
            retailer.address,
            retailer.get_market_type_display(),
            retailer.get_retail_format_display(),
            retailer.get_environment_display(),
        ]
        sheet.write_number(row, 0, number_in_list, integer)
        for col, value in enumerate(values, start=1):
            sheet.write_string(row, col, str(value or ""), text)
        for col, value in ((9, retailer.potential), (10, retailer.grade_tier)):
            if value is None:
                sheet.write_blank(row, col, None, text)
            else:
                sheet.write_number(row, col, value, integer)
        sheet.write_string(row, 11, str(retailer.get_status_display()), text)
        sheet.write_string(row, 12, retailer.abc_class or "", text)
        record = records.get(retailer.pk)
        scores = (
            [
                record.total_score,
                record.scale_score,
                record.environment_score,
                record.potential_score,
                record.compliance_score,
                record.credit_score,
                record.average_monthly_cartons,
            ]
            if record
            else [None] * 7
        )
        for col, value in enumerate(scores, start=13):
            if value is None:
                sheet.write_blank(row, col, None, number)
            else:
                sheet.write_number(row, col, float(value), number)
        row += 1
    sheet.freeze_panes(3, 3)
    sheet.autofilter(2, 0, max(row - 1, 2), len(columns) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(2)
    book.close()
    return buffer.getvalue()
