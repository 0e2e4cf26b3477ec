-- The lines of the planned GL journals, one row per GLS840MI AddBatchLineFld, read back from
-- the `lines` the writer sends: what the balance, mapping and length tests check. Its columns
-- are the fields syncs.yml declares for each line.

with

journals as (

    select sync_key, natural_key, expense_category, lines
    from {{ ref('sync_infor__gl_journals') }}

),

elements as (

    select
        sync_key,
        natural_key,
        expense_category,
        {{ sync_json_array_elements('lines') }} as line

    from journals

),

final as (

    select
        sync_key,
        natural_key as KEY1,
        {%- for field in sync_record_fields('infor_gl_journals', 'lines') %}
        {{ sync_json_text('line', [field]) }} as {{ field }},
        {%- endfor %}
        -- the amount as a number, in the currency the line states
        cast({{ sync_json_text('line', ['CUAM']) }} as decimal(18, 2)) as line_amount,
        expense_category

    from elements

)

select * from final
