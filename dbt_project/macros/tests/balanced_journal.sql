{#- Fails on each voucher (group) whose debits and credits differ, or that has a line on neither side.
    Severity: error (integrity: M3 rejects an unbalanced GL journal, so it must never reach a sync model). -#}
{% test balanced_journal(model, group_by, amount_column, side_column, debit_value='D', credit_value='C') %}
{{ config(severity='error') }}
{%- set group_columns = as_column_list(group_by, 'group_by') %}

with journal_lines as (

    select
        {%- for group_column in group_columns %}
        {{ group_column }},
        {%- endfor %}
        {{ side_column }} as entry_side,
        {{ amount_column }} as entry_amount
    from {{ model }}

),

voucher_totals as (

    select
        {%- for group_column in group_columns %}
        {{ group_column }},
        {%- endfor %}
        sum(case when entry_side = {{ dbt.string_literal(debit_value) }} then entry_amount else 0 end) as total_debit,
        sum(case when entry_side = {{ dbt.string_literal(credit_value) }} then entry_amount else 0 end) as total_credit,
        sum(
            case
                when entry_side in ({{ dbt.string_literal(debit_value) }}, {{ dbt.string_literal(credit_value) }}) then 0
                else 1
            end
        ) as unsided_lines
    from journal_lines
    group by {{ group_columns | join(', ') }}

),

unbalanced as (

    select
        voucher_totals.*,
        total_debit - total_credit as imbalance
    from voucher_totals
    where total_debit <> total_credit
        or unsided_lines > 0

)

select * from unbalanced

{% endtest %}
