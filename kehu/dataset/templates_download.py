"""The templates with Chinese headings offered on the import page, one per kind of list: CSV in
UTF-8 with a BOM (so that Excel opens it as UTF-8) and an Excel workbook, each with the headings
Kehu recognises first (kehu.dataset.mapping) and one example row."""

import csv
import io

# The headings of each template (the first alias of each field, as a firm would write them) and
# one example row.
TEMPLATES = {
    "customers": (
        ["客户编号", "客户名称", "客户类型", "负责人", "客户等级", "客户来源", "所属行业", "地区", "详细地址", "电话", "手机",
         "邮箱", "微信", "联系人", "联系人职务", "统一社会信用代码", "备注", "创建时间"],
        ["", "深圳市示例科技有限公司", "企业", "张伟", "潜在客户", "展会", "软件", "广东省/深圳市/南山区", "科技园南区1号",
         "0755-26660000", "13800000000", "info@example.cn", "example_wx", "王经理", "采购经理", "", "", "2026-01-15"],
    ),
    "contacts": (
        ["客户名称", "姓名", "职务", "部门", "角色", "手机", "邮箱", "微信", "生日"],
        ["深圳市示例科技有限公司", "王经理", "采购经理", "采购部", "决策者", "13800000000", "wang@example.cn", "wang_wx", "1985-06-01"],
    ),
    "products": (
        ["产品编码", "产品名称", "产品分类", "标准价格", "成本价"],
        ["P-001", "示例设备", "设备", "12800.00", "8600.00"],
    ),
    "activities": (
        ["客户名称", "联系人", "跟进人", "跟进方式", "跟进时间", "跟进内容", "下次联系时间"],
        ["深圳市示例科技有限公司", "王经理", "张伟", "拜访", "2026-03-02 10:00", "介绍新产品，客户有兴趣", "2026-03-16"],
    ),
    "opportunities": (
        ["商机编号", "客户名称", "负责人", "商机名称", "商机阶段", "赢率", "商机金额", "预计成交日期"],
        ["", "深圳市示例科技有限公司", "张伟", "二期产线改造", "需求确认", "30", "350000.00", "2026-09-30"],
    ),
}


def template_csv(kind: str, target) -> None:
    headings, example = TEMPLATES[kind]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerow(example)
    target.write(("\ufeff" + text.getvalue()).encode("utf-8"))


def template_xlsx(kind: str, target) -> None:
    import openpyxl
    from openpyxl.styles import Font

    headings, example = TEMPLATES[kind]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = {"customers": "客户", "contacts": "联系人", "products": "产品", "activities": "跟进记录",
                   "opportunities": "商机"}[kind]
    sheet.append(headings)
    sheet.append(example)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = max(12, 2 * len(str(column[0].value)) + 4)
    book.save(target)
