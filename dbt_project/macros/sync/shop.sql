{#- Shop orders that become FreshBooks invoices: paid or awaiting payment, not cancelled, not tests. -#}
{% macro sync_shop_order_is_invoiceable(alias) -%}
    (
        {{ alias }}.financial_status in ('paid', 'partially_paid', 'pending', 'authorized')
        and not coalesce({{ alias }}.is_cancelled, false)
        and not coalesce({{ alias }}.is_test, false)
    )
{%- endmacro %}

{#- The buyer's e-mail of a shop order, normalized for matching. -#}
{% macro sync_shop_order_email(alias) -%}
    {{ normalized_email('coalesce(' ~ alias ~ '.customer_email, ' ~ alias ~ '.email, ' ~ alias ~ '.contact_email)') }}
{%- endmacro %}
