"""The enum columns of DATASET.md: English codes, plus the Chinese names people type.

The Chinese names are data here, not interface text: they are what a spreadsheet exported
from another Chinese CRM contains (DOMAIN.md §2–§3). Where the source documents use one
word for two stages (目标客户 is the 000 funnel's "qualified" and the 003 status line's
"target"), Kehu follows the status line, which is what its screens show: 目标客户 = target.
"""

from kehu.accounts.models import User
from kehu.customers.models import Contact, Customer
from kehu.dataset.values import Choices

ROLE = Choices(
    User.Role.values,
    labels=User.Role.choices,
    aliases={
        "销售代表": "rep", "销售": "rep", "销售员": "rep", "业务员": "rep",
        "销售经理": "manager", "经理": "manager", "销售总监": "manager", "总监": "manager",
        "财务": "finance", "会计": "finance",
        "管理员": "admin", "系统管理员": "admin",
    },
)

KIND = Choices(
    Customer.Kind.values,
    labels=Customer.Kind.choices,
    aliases={"企业": "company", "企业客户": "company", "公司": "company", "单位": "company",
             "个人": "person", "个人客户": "person"},
)

STAGE = Choices(
    Customer.Stage.values,
    labels=Customer.Stage.choices,
    aliases={
        "目标市场": "target", "目标客户": "target", "目标": "target",
        "潜在客户": "prospect", "潜在": "prospect",
        "准客户": "qualified", "合格客户": "qualified",
        "签约客户": "signed", "签约": "signed", "普通客户": "signed", "已签约": "signed",
        "vip客户": "vip",
    },
)

LEAD_SOURCE = Choices(
    Customer.LeadSource.values,
    labels=Customer.LeadSource.choices,
    aliases={
        "逐户访问": "door_to_door", "陌生拜访": "door_to_door", "扫楼": "door_to_door",
        "会议": "conference", "展会": "conference", "会展": "conference",
        "俱乐部": "club",
        "亲朋故旧": "personal_network", "亲友": "personal_network", "人脉": "personal_network",
        "资料查询": "directory",
        "咨询机构": "consultancy",
        "猎犬": "bird_dog", "猎犬法": "bird_dog",
        "老客户介绍": "referral", "客户介绍": "referral", "转介绍": "referral", "介绍": "referral",
        "中心开花": "centre_of_influence", "center_of_influence": "centre_of_influence",
        "电话": "phone", "电话营销": "phone",
        "信函": "mail", "邮寄": "mail",
        "网络": "internet", "互联网": "internet", "网站": "internet",
        "抢夺对手": "competitor", "竞争对手": "competitor",
        "广告": "advertising",
        "其他": "other", "其它": "other",
    },
)

FUND_STATUS = Choices(
    Customer.FundStatus.values,
    labels=Customer.FundStatus.choices,
    aliases={"丰裕": "abundant", "充足": "sufficient", "紧张": "tight", "短缺": "short", "危险": "dangerous"},
)

PAYMENT_ATTITUDE = Choices(
    Customer.PaymentAttitude.values,
    labels=Customer.PaymentAttitude.choices,
    aliases={"爽快": "prompt", "普通": "normal", "尚可": "acceptable", "迟延": "delayed", "拖延": "delayed",
             "为难": "difficult", "欠款": "arrears", "in_arrears": "arrears"},
)

DECISION_ROLE = Choices(
    Contact.DecisionRole.values,
    labels=Contact.DecisionRole.choices,
    aliases={"决策者": "decision_maker", "决策人": "decision_maker", "影响者": "influencer",
             "使用者": "user", "用户": "user", "技术把关": "gatekeeper", "技术把关者": "gatekeeper",
             "把关者": "gatekeeper", "采购": "buyer", "采购者": "buyer"},
)
