{#- The shared shape of sync rows: content hash, sync key, the ledger filter and the checks
    that send a row to `sync_rejects` instead of a target. -#}

{#- A stable hash of the payload: the columns as text, in the given order, '|' between them
    (a null and an empty string hash alike; M3 payload strings are never empty: `m3_text`
    turns '' into null). -#}
{% macro sync_content_hash(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#- The row's key: the hash of (target, entity, natural key, content hash), which is also how
    the ledger keys an intent (`ops.sync_records.intent_key`). -#}
{% macro sync_key(target, entity, natural_key, content_hash) -%}
    {{ dbt.hash(dbt.concat([target, "'|'", entity, "'|'", natural_key, "'|'", content_hash])) }}
{%- endmacro %}

{#- True when the ledger shows this (target, entity, natural key, content hash) pushed. -#}
{% macro sync_is_applied(alias) -%}
    exists (
        select 1
        from {{ ref('stg_ops__sync_records') }} as applied
        where applied.is_applied
            and applied.target = {{ alias }}.target
            and applied.entity = {{ alias }}.entity
            and applied.natural_key = {{ alias }}.natural_key
            and applied.content_hash = {{ alias }}.content_hash
    )
{%- endmacro %}

{#- What the target holds now for the fields an update or void sends, as a JSON object (for
    `ledgerlink push --dry-run`'s before -> after); `pairs` are (payload field, SQL expression). -#}
{% macro sync_before_values(pairs) -%}
    {{ sync_json_as_text(sync_json_object(pairs)) }}
{%- endmacro %}

{#- One row per failed check of each candidate: `checks` is a list of
    (reason_code, failing condition, reason text expression). -#}
{% macro sync_failed_checks(relation, key_column, checks) -%}
    {%- for reason_code, condition, reason in checks %}
    select
        {{ key_column }} as candidate_key,
        {{ dbt.string_literal(reason_code) }} as reason_code,
        {{ reason }} as reason
    from {{ relation }}
    where {{ condition }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- A plan's rows: each candidate with the reason of each check it failed (one row per failed
    check), or with a null reason when it passed every one. -#}
{% macro sync_candidates_with_reasons(candidates, failed_checks) -%}
    select
        {{ candidates }}.*,
        {{ failed_checks }}.reason_code,
        {{ failed_checks }}.reason

    from {{ candidates }}
    left join {{ failed_checks }}
        on {{ candidates }}.candidate_key = {{ failed_checks }}.candidate_key
{%- endmacro %}

{#- Text compared the way people read it: trimmed, case-insensitive, empty = missing. -#}
{% macro sync_comparable_text(expression) -%}
    nullif(lower(trim(cast({{ expression }} as {{ dbt.type_string() }}))), '')
{%- endmacro %}

{#- Phone numbers compare by their digits only. -#}
{% macro sync_comparable_phone(expression) -%}
    nullif(regexp_replace(coalesce({{ expression }}, ''), '[^0-9]', '', 'g'), '')
{%- endmacro %}

{#- True when the source has a value and the target lacks it or holds another one. -#}
{% macro sync_differs(source_value, target_value) -%}
    ({{ source_value }} is not null and ({{ target_value }} is null or {{ source_value }} <> {{ target_value }}))
{%- endmacro %}

{#- True when both values are present and equal (null-safe: a missing value is never "same"). -#}
{% macro sync_same(left, right) -%}
    coalesce({{ left }} = {{ right }}, false)
{%- endmacro %}

{#- True when equal, or when both are missing. -#}
{% macro sync_same_or_missing(left, right) -%}
    coalesce({{ left }} = {{ right }}, {{ left }} is null and {{ right }} is null)
{%- endmacro %}

{#- A decimal as plain text without trailing zeros: 8.250000 -> '8.25', 13.000000 -> '13'. -#}
{% macro sync_decimal_text(expression) -%}
    rtrim(rtrim(cast(cast({{ expression }} as decimal(18, 6)) as {{ dbt.type_string() }}), '0'), '.')
{%- endmacro %}

{#- The Infor customer number ledgerlink gives a FreshBooks client it creates in Infor: the
    prefix and the client id, so a retry finds the customer again by its number. -#}
{% macro sync_new_customer_number(client_id) -%}
    {{ dbt.concat([sync_literal('m3_customer_number_prefix'), 'cast(' ~ client_id ~ ' as ' ~ dbt.type_string() ~ ')']) }}
{%- endmacro %}

{#- What ledgerlink itself last wrote into each record of a target entity: one row per natural
    key with the latest value sent for each of `fields` (from the ledger's payloads). A target
    value equal to it is our own write read back, not a change to carry the other way. -#}
{% macro sync_last_written(target, entity, fields) -%}
    select
        natural_key,
        {%- for field in fields %}
        max(case when {{ field }}_rank = 1 then {{ field }}_value end) as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}

    from (
        select
            natural_key,
            {%- for field in fields %}
            {{ sync_json_text('payload', [field]) }} as {{ field }}_value,
            row_number() over (
                partition by natural_key, {{ sync_json_text('payload', [field]) }} is null
                order by last_attempt_at desc
            ) as {{ field }}_rank{{ ',' if not loop.last }}
            {%- endfor %}

        from {{ ref('stg_ops__sync_records') }}
        where is_applied
            and payload is not null
            and target = {{ dbt.string_literal(target) }}
            and entity = {{ dbt.string_literal(entity) }}
    ) as written
    group by natural_key
{%- endmacro %}
