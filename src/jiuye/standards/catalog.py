"""The indicators of DOMAIN §5 as data: what each measures and how its gap is counted.

Pure (no database): ``rules`` evaluates against it, ``indicators`` computes what it lists.

``kind``: ``ratio`` (numerator / denominator, no value when the denominator is 0), ``count``
(an integer), ``days`` (an integer number of days, a maximum over families).

``gap``: how a failing criterion's gap is counted; ``gap_label`` says it with the number
(``"%(n)s 人需实现就业"``, a plural form per language: :meth:`IndicatorInfo.gap_text`):

- ``convert``: members of the denominator change side (a person placed in a job, a family
  eliminated, a contact made): the denominator stays, the numerator moves by one per step;
- ``add``: new records are needed (satisfied surveys, three-mode trainings): each step adds one
  to both numerator and denominator;
- ``count``: the count itself must come down (or up) to the threshold;
- ``None``: no gap is counted (a number of days, or no data source).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

Kind = Literal["ratio", "count", "days"]
GapMode = Literal["convert", "add", "count"]
Rollup = Literal["sum", "max", "own"]


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    id: str
    label: Any  # a lazy translation
    kind: Kind
    gap: GapMode | None
    gap_label: Any = ""  # a lazy ngettext of "%(n)s …", the number keyed "n"
    # Does the indicator look at the assessment period (else only at the date)?
    period: bool = False
    # False: no data source yet (the value is always "no data").
    has_data: bool = True
    # How a street's or district's value is formed from its communities' (``own``: computed
    # for the unit itself, e.g. the share of its certified children).
    rollup: Rollup = "sum"
    definition: Any = ""

    def gap_text(self, gap: int | None) -> str:
        """The gap in words: 5 人需实现就业 (English: 5 more people must find work); empty when
        there is no gap."""
        if not gap:
            return ""
        if not self.gap_label:
            return str(gap)
        return str(self.gap_label % {"n": gap})


_INDICATORS = (
    IndicatorInfo(
        "employment_rate",
        _("就业率"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 人需实现就业", "%(n)s 人需实现就业", "n"),
        definition=_("劳动力中实现就业的人数 / 劳动力人数（时点）"),
    ),
    IndicatorInfo(
        "difficult_employment_rate",
        _("就业困难人员就业率"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 名困难人员需实现就业", "%(n)s 名困难人员需实现就业", "n"),
        definition=_("劳动力中已认定就业困难人员的就业人数 / 劳动力中已认定就业困难人员（时点）"),
    ),
    IndicatorInfo(
        "zero_families",
        _("零就业家庭数"),
        "count",
        "count",
        ngettext_lazy("%(n)s 户需消除", "%(n)s 户需消除", "n"),
        definition=_("时点的零就业家庭数（所有户籍）"),
    ),
    IndicatorInfo(
        "zero_families_urban",
        _("城镇零就业家庭数"),
        "count",
        "count",
        ngettext_lazy("%(n)s 户需消除", "%(n)s 户需消除", "n"),
        definition=_("时点的城镇户籍零就业家庭数（重庆标准只计城镇）"),
    ),
    IndicatorInfo(
        "zero_family_max_days",
        _("零就业家庭消除用时"),
        "days",
        None,
        period=True,
        rollup="max",
        definition=_("评估期内出现过的零就业家庭中，最长未消除天数（未消除的计至时点）"),
    ),
    IndicatorInfo(
        "zero_family_over_month",
        _("超过1个月未消除的零就业家庭"),
        "count",
        "count",
        ngettext_lazy("%(n)s 户超期", "%(n)s 户超期", "n"),
        period=True,
        definition=_("评估期内出现过的零就业家庭中，未在出现后1个月内（次月同日）消除的户数"),
    ),
    IndicatorInfo(
        "pure_farming_families",
        _("纯农就业家庭数"),
        "count",
        "count",
        ngettext_lazy("%(n)s 户需转移就业", "%(n)s 户需转移就业", "n"),
        definition=_("时点的纯农就业家庭数"),
    ),
    IndicatorInfo(
        "satisfaction_rate",
        _("满意度"),
        "ratio",
        "add",
        ngettext_lazy("%(n)s 份满意测评", "%(n)s 份满意测评", "n"),
        period=True,
        definition=_("评估期内满意度测评中“非常满意”和“满意”的份数 / 测评份数"),
    ),
    IndicatorInfo(
        "registered_unemployment_rate",
        _("城镇登记失业率"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 名登记失业人员需实现就业", "%(n)s 名登记失业人员需实现就业", "n"),
        definition=_(
            "城镇户籍劳动力中的登记失业人数 / （城镇户籍就业人数 + 城镇户籍登记失业人数）"
        ),
    ),
    IndicatorInfo(
        "training_mode_share",
        _("三类模式培训占比"),
        "ratio",
        "add",
        ngettext_lazy("%(n)s 人次三类模式培训", "%(n)s 人次三类模式培训", "n"),
        period=True,
        definition=_("评估期内定岗、订单、定向培训人次 / 全部培训人次"),
    ),
    IndicatorInfo(
        "contract_signing_rate",
        _("劳动合同签订率"),
        "ratio",
        None,
        has_data=False,
        definition=_("用人单位报送的劳动合同数据（用人单位模块尚未接入）"),
    ),
    IndicatorInfo(
        "contract_renewal_rate",
        _("劳动合同续订率"),
        "ratio",
        None,
        has_data=False,
        definition=_("用人单位报送的劳动合同数据（用人单位模块尚未接入）"),
    ),
    IndicatorInfo(
        "certified_children_share",
        _("下级单位达标率"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 个下级单位需达标", "%(n)s 个下级单位需达标", "n"),
        rollup="own",
        definition=_("时点已认定达标的下级单位数 / 下级单位数"),
    ),
    IndicatorInfo(
        "dibao_unemployed_share",
        _("低保有劳动能力未就业比例"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 名低保家庭成员需实现就业", "%(n)s 名低保家庭成员需实现就业", "n"),
        definition=_("低保户劳动力中未就业人数 / 低保户劳动力人数（时点）"),
    ),
    IndicatorInfo(
        "guidance_on_time_rate",
        _("3日内职业指导率"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 次登记未及时指导", "%(n)s 次登记未及时指导", "n"),
        period=True,
        definition=_("评估期内已到期（或已指导）的失业登记中，3个工作日内职业指导的 / 这些登记"),
    ),
    IndicatorInfo(
        "long_term_unemployed",
        _("长期失业人数"),
        "count",
        "count",
        ngettext_lazy("%(n)s 人需实现就业", "%(n)s 人需实现就业", "n"),
        definition=_("时点连续登记失业满1年的人数"),
    ),
    IndicatorInfo(
        "long_term_unemployed_urban",
        _("城镇长期失业人数"),
        "count",
        "count",
        ngettext_lazy("%(n)s 人需实现就业", "%(n)s 人需实现就业", "n"),
        definition=_("时点连续登记失业满1年的城镇户籍人数"),
    ),
    IndicatorInfo(
        "registered_unemployed_employment_rate",
        _("登记失业人员就业率"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 人需实现就业", "%(n)s 人需实现就业", "n"),
        period=True,
        definition=_("评估期内任一天登记失业、时点已就业的人数 / 评估期内任一天登记失业的人数"),
    ),
    IndicatorInfo(
        "referral_twice_rate",
        _("推荐就业两次以上比例"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 人需推荐就业", "%(n)s 人需推荐就业", "n"),
        period=True,
        definition=_("时点登记失业的劳动力中评估期内推荐就业2次以上的 / 时点登记失业的劳动力"),
    ),
    IndicatorInfo(
        "visit_rate",
        _("走访率"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 人需走访", "%(n)s 人需走访", "n"),
        period=True,
        definition=_("时点登记失业人员中评估期内走访过的 / 时点登记失业人员"),
    ),
    IndicatorInfo(
        "difficult_contact_misses",
        _("困难人员季度联系缺失"),
        "count",
        "count",
        ngettext_lazy("%(n)s 人次未联系", "%(n)s 人次未联系", "n"),
        period=True,
        definition=_("评估期内已结束的季度中，就业困难人员当季无电话联系或走访的人次"),
    ),
    IndicatorInfo(
        "job_preparation_rate",
        _("积极就业准备率"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 人需组织就业准备", "%(n)s 人需组织就业准备", "n"),
        period=True,
        definition=_(
            "时点失业的劳动力中评估期内接受过职业指导、职业介绍或培训的 / 时点失业的劳动力"
        ),
    ),
    IndicatorInfo(
        "valid_complaints",
        _("有效投诉"),
        "count",
        "count",
        ngettext_lazy("%(n)s 件有效投诉", "%(n)s 件有效投诉", "n"),
        period=True,
        definition=_("评估期内有效投诉件数"),
    ),
    IndicatorInfo(
        "ledger_completeness",
        _("十清完整率"),
        "ratio",
        "convert",
        ngettext_lazy("%(n)s 份记录需补全", "%(n)s 份记录需补全", "n"),
        definition=_("时点失业人员中十清信息完整的 / 时点失业人员"),
    ),
    IndicatorInfo(
        "assisted_long_term",
        _("援助对象长期失业人数"),
        "count",
        "count",
        ngettext_lazy("%(n)s 人需实现就业", "%(n)s 人需实现就业", "n"),
        definition=_("时点连续登记失业满1年、且为就业困难人员或有就业援助申请的人数"),
    ),
    IndicatorInfo(
        "assistance_services_missing",
        _("未开展的援助服务项数"),
        "count",
        "count",
        ngettext_lazy("%(n)s 项服务需开展", "%(n)s 项服务需开展", "n"),
        period=True,
        definition=_("职业指导、职业介绍、职业培训、就业援助四项中评估期内没有任何记录的项数"),
    ),
)

INDICATORS: dict[str, IndicatorInfo] = {info.id: info for info in _INDICATORS}


def indicator(indicator_id: str) -> IndicatorInfo:
    try:
        return INDICATORS[indicator_id]
    except KeyError:
        raise KeyError(f"unknown indicator: {indicator_id}") from None
