{#- Fails on every row where |left_column - right_column| exceeds the tolerance (a missing side counts as zero).
    Severity: warn (reconciliation: drift is for people to look at, and failing the build would stop the syncs that repair it). -#}
{% test drift_within_tolerance(model, left_column, right_column, tolerance=var('drift_tolerance')) %}
{{ config(severity='warn') }}

with compared as (

    select
        *,
        coalesce({{ left_column }}, 0) - coalesce({{ right_column }}, 0) as drift_amount
    from {{ model }}

),

drifted as (

    select *
    from compared
    where abs(drift_amount) > {{ tolerance }}

)

select * from drifted

{% endtest %}
