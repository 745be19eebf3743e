"""The triggers a flow declares under ``triggers:``, with Kestra's type names.

- Schedule (``cron``, ``withSeconds``, ``timezone``, ``lateMaximumDelay``,
  ``recoverMissedSchedules``), ScheduleOnDates (``dates``): evaluated by the scheduler;
- Flow (``states``, ``preconditions``): evaluated when an execution ends;
- Webhook (``key``, ``wait``, ``returnOutputs``): evaluated when a request arrives;
- HTTP polling (``uri``, ``responseCondition``, ``interval``): polled by the scheduler.

Every trigger has ``id``, ``type``, ``description``, ``disabled``, ``conditions``,
``stopAfter``, ``inputs``, ``labels`` and ``allowConcurrent``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, WithJsonSchema, WrapValidator, field_validator

from headway.flows.tasks import ID_PATTERN, Duration, Model, is_template
from headway.state import State
from headway.triggers.conditions import Condition, label_map
from headway.triggers.cron import DEFAULT_TIMEZONE, Cron, CronError, zone
from headway.triggers.preconditions import Preconditions
from headway.triggers.types import TypeTable

Recover = Literal["ALL", "LAST", "NONE"]


class TriggerBase(Model):
    """The keys every trigger has. Subclasses set ``type_name`` and ``kind``."""

    type_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    # schedule (evaluated by the scheduler), flow, webhook, polling
    kind: ClassVar[str] = ""

    id: str = Field(pattern=ID_PATTERN)
    type: str
    description: str | None = None
    disabled: bool = False
    conditions: list[Condition] = Field(default_factory=list)
    stop_after: list[State] = Field(default_factory=list)
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    # Schedules and polls do not start while the execution they started runs, unless true.
    allow_concurrent: bool = False
    log_level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] | None = None
    min_log_level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] | None = None
    log_to_file: bool = False
    worker_group: dict[str, Any] | None = None

    _as_map = field_validator("labels", mode="before")(classmethod(lambda cls, v: label_map(v)))


class _Timed(TriggerBase):
    timezone: str = DEFAULT_TIMEZONE
    recover_missed_schedules: Recover | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_template(value):
            zone(value)
        return value


class Schedule(_Timed):
    type_name = "schedule"
    aliases = (
        "io.kestra.plugin.core.trigger.Schedule",
        "io.kestra.core.models.triggers.types.Schedule",
    )
    kind = "schedule"

    with_seconds: bool = False  # before cron: cron's check reads it
    cron: str
    late_maximum_delay: Duration | None = None
    # Kestra's legacy way to start from a past date.
    backfill: dict[str, Any] | None = None
    schedule_conditions: list[Condition] = Field(default_factory=list)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str, info: ValidationInfo) -> str:
        try:
            Cron(value, DEFAULT_TIMEZONE, with_seconds=bool(info.data.get("with_seconds")))
        except CronError as exc:
            raise ValueError(str(exc)) from None
        return value

    def parsed(self) -> Cron:
        return Cron(self.cron, self.timezone, with_seconds=self.with_seconds)

    def all_conditions(self) -> list[Any]:
        return [*self.conditions, *self.schedule_conditions]


def _aware(value: datetime, tz: str) -> datetime:
    if value.tzinfo is not None:
        return value
    try:
        return value.replace(tzinfo=zone(tz))
    except CronError:
        return value.replace(tzinfo=UTC)


class ScheduleOnDates(_Timed):
    type_name = "schedule-on-dates"
    aliases = ("io.kestra.plugin.core.trigger.ScheduleOnDates",)
    kind = "schedule"

    dates: list[datetime] = Field(min_length=1)

    def sorted_dates(self) -> list[datetime]:
        return sorted(_aware(d, self.timezone) for d in self.dates)

    def all_conditions(self) -> list[Any]:
        return list(self.conditions)


class FlowTrigger(TriggerBase):
    """Starts when another execution ends (``states``, default: any terminal state) and
    its ``conditions`` and ``preconditions`` are met."""

    type_name = "flow"
    aliases = ("io.kestra.plugin.core.trigger.Flow", "io.kestra.core.models.triggers.types.Flow")
    kind = "flow"

    states: list[State] = Field(default_factory=list)
    preconditions: Preconditions | None = None


class Webhook(TriggerBase):
    type_name = "webhook"
    aliases = (
        "io.kestra.plugin.core.trigger.Webhook",
        "io.kestra.core.models.triggers.types.Webhook",
    )
    kind = "webhook"

    key: str = Field(min_length=1)
    wait: bool = False
    return_outputs: bool = False


class HttpTrigger(TriggerBase):
    """Polls ``uri`` every ``interval``; fires when ``responseCondition`` is true, with
    ``trigger.body``, ``trigger.code`` (and ``statusCode``), ``trigger.headers``."""

    type_name = "http.trigger"
    aliases = ("io.kestra.plugin.core.http.Trigger", "io.kestra.plugin.fs.http.Trigger")
    kind = "polling"

    uri: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    body: str | None = None
    content_type: str | None = None
    headers: dict[str, Any] = Field(default_factory=dict)
    form_data: dict[str, Any] | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    response_condition: str = "{{ response.statusCode < 400 }}"
    interval: Duration = timedelta(seconds=60)
    encrypt_body: bool = False

    @field_validator("interval")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("'interval' must be a positive duration")
        return value


TRIGGER_TYPES: TypeTable[TriggerBase] = TypeTable(
    "trigger", [Schedule, ScheduleOnDates, FlowTrigger, Webhook, HttpTrigger]
)


def _validate_trigger(value: Any, handler: Any, info: ValidationInfo) -> TriggerBase:
    return TRIGGER_TYPES.validate(value, info, "a trigger")


# A trigger, validated with the model of its own type.
Trigger = Annotated[
    TriggerBase,
    WrapValidator(_validate_trigger),
    WithJsonSchema(TRIGGER_TYPES.json_schema("A trigger")),
]
