-- One row per week of the next 12 (from the as-of date) and currency: the open FreshBooks
-- invoices expected to be collected that week. An invoice is expected on its due date shifted by
-- its customer's average days late (last payment date - due date, over the customer's paid
-- invoices), or by the average over all customers while the customer has fewer than
-- `min_payment_history` paid invoices. An invoice whose expected date has already passed is
-- expected in the first week; one expected after the twelfth week is left out.

{%- set forecast_weeks = 12 %}

with

invoices as (

    select * from {{ ref('fct_invoices') }}

),

paid_invoices as (

    select
        customer_key,
        cast({{ dbt.datediff('due_on', 'last_paid_on', 'day') }} as decimal(18, 6)) as days_late

    from invoices
    where not is_deleted
        and payment_count > 0
        and outstanding_amount <= 0
        and due_on is not null
        and last_paid_on <= {{ as_of_date() }}

),

customer_delays as (

    select
        customer_key,
        count(*) as paid_invoice_count,
        avg(days_late) as average_days_late

    from paid_invoices
    group by customer_key

),

overall_delay as (

    select avg(days_late) as average_days_late
    from paid_invoices

),

open_invoices as (

    -- a draft is not a receivable yet, and an invoice issued after the as-of date did not exist then
    select
        invoice_key,
        customer_key,
        currency_code,
        outstanding_amount,
        coalesce(due_on, issued_on) as due_on

    from invoices
    where outstanding_amount > 0
        and not is_deleted
        and is_sent
        and issued_on <= {{ as_of_date() }}

),

shifted as (

    select
        open_invoices.*,
        cast(round(
            case
                when customer_delays.paid_invoice_count >= {{ var('min_payment_history') }}
                    then customer_delays.average_days_late
                else coalesce(overall_delay.average_days_late, 0)
            end,
            0
        ) as integer) as expected_days_late

    from open_invoices
    cross join overall_delay
    left join customer_delays on open_invoices.customer_key = customer_delays.customer_key

),

expected as (

    select
        shifted.*,
        {{ dbt.datediff(as_of_date(), dbt.dateadd('day', 'expected_days_late', 'due_on'), 'day') }}
            as days_until_expected

    from shifted

),

weekly as (

    select
        case
            when days_until_expected < 0 then 1
            else cast(floor(days_until_expected / 7.0) as integer) + 1
        end as week_number,
        currency_code,
        outstanding_amount,
        days_until_expected < 0 as is_past_expected

    from expected

),

weeks as (

    {% for week in range(1, forecast_weeks + 1) -%}
    select {{ week }} as week_number{% if not loop.last %} union all{% endif %}
    {% endfor %}

),

currencies as (

    select distinct currency_code from open_invoices

),

week_currencies as (

    select weeks.week_number, currencies.currency_code
    from weeks
    cross join currencies

),

collected as (

    select
        week_currencies.week_number,
        week_currencies.currency_code,
        sum(weekly.outstanding_amount) as expected_amount,
        count(weekly.week_number) as invoice_count,
        sum(case when weekly.is_past_expected then weekly.outstanding_amount else 0 end) as past_expected_amount

    from week_currencies
    left join weekly
        on week_currencies.week_number = weekly.week_number
        and week_currencies.currency_code = weekly.currency_code
    group by week_currencies.week_number, week_currencies.currency_code

),

final as (

    select
        {{ as_of_date() }} as as_of_date,
        week_number,
        cast({{ dbt.dateadd('day', '(week_number - 1) * 7', as_of_date()) }} as date) as week_starts_on,
        cast({{ dbt.dateadd('day', '(week_number - 1) * 7 + 6', as_of_date()) }} as date) as week_ends_on,
        currency_code,
        cast(coalesce(expected_amount, 0) as decimal(18, 2)) as expected_amount,
        invoice_count,
        cast(coalesce(past_expected_amount, 0) as decimal(18, 2)) as past_expected_amount

    from collected

)

select * from final
