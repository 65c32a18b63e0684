"""``contract_signing_rate`` and ``contract_renewal_rate`` (HD-Q4): from employers' reported
contracts (DOMAIN §8). The employers module is not connected yet: no data source, so the value
is None ("no data") and a criterion on it cannot be assessed."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from jiuye.standards.indicators.base import Indicator


@dataclass(frozen=True, kw_only=True)
class NoSource(Indicator):
    has_data: bool = False


_NO_SOURCE = _("用人单位报送的劳动合同数据（用人单位模块尚未接入）")

contract_signing_rate = NoSource(
    id="contract_signing_rate",
    label=_("劳动合同签订率"),
    kind="ratio",
    gap=None,
    definition=_NO_SOURCE,
)
contract_renewal_rate = NoSource(
    id="contract_renewal_rate",
    label=_("劳动合同续订率"),
    kind="ratio",
    gap=None,
    definition=_NO_SOURCE,
)

INDICATORS = (contract_signing_rate, contract_renewal_rate)
