from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = (
        "Import territory handovers (交接) and coverings (代管): 片区编码, 接手客户经理工号, "
        "生效日期, 截止日期, 类型, optional 许可证号 (only those retailers move)."
    )
    kind = ImportKind.HANDOVERS
