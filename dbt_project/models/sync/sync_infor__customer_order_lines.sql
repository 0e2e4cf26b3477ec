-- The lines of the planned customer orders, one row per OIS100MI AddBatchLine, read back from
-- the `lines` the writer sends: what the item mapping and length tests check. Its columns are
-- the fields syncs.yml declares for each line.

with

orders as (

    select sync_key, natural_key, lines
    from {{ ref('sync_infor__customer_orders') }}

),

elements as (

    select
        sync_key,
        natural_key,
        {{ sync_json_array_elements('lines') }} as line

    from orders

),

final as (

    select
        sync_key,
        natural_key as CUOR,
        {%- for field in sync_record_fields('infor_customer_orders', 'lines') %}
        {{ sync_json_text('line', [field]) }} as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}

    from elements

)

select * from final
