"""The audit actions in words: every action code the code base writes, with its label.

``tests/audit/test_actions.py`` scans the source for the codes written (``action="…"``,
``audit_read(what="…")`` and the like) and checks that each has a label here, so a new action
without a label fails the tests. A code that is not here (an entry of an older version, a test's
code) is shown as it is.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    # the log itself
    "audit.chain": _("审计链开启"),
    "audit.checkpoint": _("审计链检查点"),
    "audit.export": _("导出审计日志"),
    # accounts
    "account.login": _("登录"),
    "account.logout": _("退出登录"),
    "account.login_failed": _("登录失败"),
    "account.login_failed_unknown": _("登录失败（用户名不存在）"),
    "account.locked": _("账号锁定"),
    "account.otp_verify": _("双因素验证"),
    "account.otp_failed": _("双因素验证失败"),
    "user.create": _("新建用户"),
    "user.role": _("修改用户角色"),
    "user.deactivate": _("停用用户"),
    "user.reactivate": _("启用用户"),
    "user.unlock": _("解锁用户"),
    "user.password": _("重置用户密码"),
    "user.otp_reset": _("重置双因素验证"),
    "user.otp_enrol": _("登记双因素验证"),
    "user.membership_add": _("添加用户所属单位"),
    "user.membership_remove": _("移除用户所属单位"),
    "user.can_reveal": _("修改查看完整号码权限"),
    "system.backup": _("系统备份"),
    "system.restore": _("系统恢复"),
    "api_token.create": _("新建接口令牌"),
    "api_token.revoke": _("吊销接口令牌"),
    # units
    "unit.create": _("新建单位"),
    # registry
    "person.create": _("登记人员"),
    "person.update": _("修改人员信息"),
    "person.move": _("人员迁移"),
    "person.status": _("记录就业状态"),
    "person.status_delete": _("删除就业状态"),
    "person.reveal": _("查看完整号码"),
    "person.search_id": _("按身份证号查找人员"),
    "household.create": _("登记家庭"),
    "recognition.create": _("认定身份"),
    "recognition.end": _("结束身份认定"),
    # casework
    "service.create": _("登记服务"),
    "service.delete": _("删除服务"),
    "profile.update": _("修改求职意向"),
    "assistance.open": _("开始就业援助"),
    "assistance.step": _("就业援助进展"),
    "zero_family.open": _("认定零就业家庭"),
    "zero_family.update": _("更新零就业家庭"),
    "zero_family.close": _("零就业家庭消除"),
    "zero_family.revoke": _("撤销零就业家庭认定"),
    "zero_family.assign": _("指派零就业家庭帮扶人"),
    "holidays.install": _("载入节假日安排"),
    # standards
    "standards.tick": _("勾选达标项"),
    "standards.revoke": _("撤销达标勾选"),
    "standards.certify": _("认定达标"),
    "standards.certify_passing": _("批量认定达标"),
    "standards.aggregates_rebuild": _("重算达标统计"),
    # certification (创建与认定)
    "certification.apply": _("提出认定申请"),
    "certification.submit": _("提交自评"),
    "certification.review": _("街道初核通过"),
    "certification.accept": _("区级验收通过"),
    "certification.return": _("退回认定申请"),
    "certification.evidence": _("上传佐证材料"),
    "certification.recheck": _("年度复核"),
    "certification.recheck_run": _("组织年度复核"),
    # jobs
    "employer.create": _("登记用人单位"),
    "employer.update": _("修改用人单位"),
    "employer.staff": _("报送职工人数"),
    "employer.contract": _("报送劳动合同"),
    "employer.layoff": _("报送裁员"),
    "employer.hire": _("录用"),
    "posting.create": _("发布岗位"),
    "posting.update": _("修改岗位"),
    "posting.close": _("岗位截止"),
    "referral.create": _("推荐就业"),
    "referral.outcome": _("登记推荐结果"),
    # escalation (托底, issue 17)
    "escalation.open": _("移交托底援助"),
    "escalation.step": _("记录托底援助环节"),
    "escalation.offer": _("托底援助推荐公益性岗位"),
    "escalation.close": _("托底援助结案"),
    # monitoring
    "monitoring.warnings_run": _("运行失业风险预警"),
    "monitoring.warning_fire": _("发出预警"),
    "monitoring.warning_raise": _("预警升级"),
    "monitoring.warning_acknowledge": _("确认预警"),
    "monitoring.warning_close": _("关闭预警"),
    "monitoring.rollups_build": _("重算月度汇总"),
    "read.warning_detail": _("查看预警详情"),
    "read.posting_referrals": _("查看岗位的推荐记录"),
    "read.referral_new": _("推荐就业时查看人员"),
    "read.referral_search": _("推荐就业时查找人员"),
    "read.referral_detail": _("查看推荐详情"),
    "read.escalation_candidates": _("查看托底援助对象"),
    "read.escalation_list": _("查看托底援助名单"),
    "read.escalation_case": _("查看托底援助"),
    # ledgers
    "ledger.check": _("台账导入检查"),
    "ledger.import": _("台账导入"),
    "ledger.import_rejected": _("台账导入被拒绝"),
    "export": _("导出数据"),
    "export.persons": _("导出数据（人员续表）"),
    "export.download": _("下载导出文件"),
    # demo data
    "demo.seed": _("载入演示数据"),
    "demo.users": _("创建演示用户"),
    # reads (audit_read: "read." + what)
    "read.person_list": _("查看人员列表"),
    "read.person_detail": _("查看人员详情"),
    "read.household_list": _("查看家庭列表"),
    "read.household_detail": _("查看家庭详情"),
    "read.api.persons_list": _("接口读取人员列表"),
    "read.api.households_list": _("接口读取家庭列表"),
    "read.api.person": _("接口读取人员"),
    "read.api.household": _("接口读取家庭"),
    "read.casework.worklist": _("查看工作清单"),
    "read.casework.worklist_card": _("查看工作清单卡片"),
    "read.casework.rule": _("查看待办规则"),
    "read.casework.person": _("查看人员工作页"),
    "read.casework.assistance": _("查看就业援助"),
    "read.casework.household": _("查看家庭工作页"),
    "read.casework.zero_families": _("查看零就业家庭"),
    "read.casework.ten_clears": _("查看“十清楚”"),
    "read.standards.behind": _("查看未达标人员"),
    "read.certification.application": _("查看认定申请"),
    "read.certification.report": _("打印验收报告"),
    "read.certification.evidence": _("下载佐证材料"),
    "read.registry_form": _("打开人员登记表单"),
    "read.household_search": _("按户编号查找家庭"),
    "read.casework.withdraw": _("打开撤销页面"),
    "read.jobs.employer": _("查看用人单位"),
    "read.jobs.matches": _("查看人岗匹配"),
    "read.jobs.candidates": _("查看岗位候选人"),
    "read.api.jobs.matches": _("接口读取人岗匹配"),
    "read.api.jobs.candidates": _("接口读取岗位候选人"),
    # policies and money
    "policies.apply": _("提交政策申请"),
    "policies.evidence": _("上传政策申请证明材料"),
    "policies.approve": _("批准政策申请"),
    "policies.reject": _("退回政策申请"),
    "policies.pay": _("登记政策资金支付"),
    "policies.reverse": _("冲正政策资金支付"),
    "policies.budget": _("设置政策预算"),
    "read.policies.eligible": _("查看政策的符合条件名单"),
    "read.policies.apply": _("准备政策申请时查看人员"),
    "read.policies.applications": _("查看政策申请列表"),
    "read.policies.application": _("查看政策申请"),
    "read.policies.evidence": _("下载政策申请证明材料"),
    "read.policies.entitlements": _("查看享受资格列表"),
    "read.policies.entitlement": _("查看享受资格"),
    "read.policies.payments": _("查看政策资金支付台账"),
}

# Codes made at run time from a name (``read.casework.ledger.<ledger>``): the longest prefix
# that matches gives the label.
PREFIX_LABELS: dict[str, str | Promise] = {
    "read.casework.ledger.": _("查看工作台账"),
}


def action_label(code: str) -> str:
    """The label of an action code; the code itself when it has none."""
    label = ACTION_LABELS.get(code)
    if label is None:
        prefixes = [p for p in PREFIX_LABELS if code.startswith(p)]
        if not prefixes:
            return code
        label = PREFIX_LABELS[max(prefixes, key=len)]
    return str(label)


def action_choices() -> list[tuple[str, str]]:
    """The select of the filter: every labelled action, by label."""
    choices = [(code, str(label)) for code, label in ACTION_LABELS.items()]
    choices += [(prefix, str(label)) for prefix, label in PREFIX_LABELS.items()]
    return sorted(choices, key=lambda c: c[1])
