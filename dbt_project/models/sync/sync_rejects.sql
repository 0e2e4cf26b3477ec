-- Every operation a sync model could not plan, one row per reason: the source record, what it
-- was meant to become in which target, and why it cannot (a missing mapping, a missing required
-- field, a match that needs a person). Fix the cause (a mapping seed, the source record, a
-- review in the id crosswalk) and the next build plans the row.

{#- The plan of every sync declared in reverse_etl/syncs.yml whose systems are connected. -#}
{%- set plans = [] %}
{%- for sync in sync_declarations().values() if sync_runs_here(sync) %}
    {%- do plans.append(sync_plan_name(sync)) %}
{%- endfor %}

with

{% for plan in plans %}
{{ plan | replace('plan_', 'rejected_') }} as (

    select
        target,
        entity,
        natural_key,
        operation,
        source_system,
        source_key,
        source_id,
        reason_code,
        reason

    from {{ ref(plan) }}
    where reason_code is not null

),

{% endfor %}
rejects as (

    {%- for plan in plans %}
    select * from {{ plan | replace('plan_', 'rejected_') }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'target', "'|'", 'entity', "'|'", 'source_key', "'|'", 'reason_code', "'|'", 'reason',
        ])) }} as reject_key,
        rejects.*

    from rejects

)

select * from final
