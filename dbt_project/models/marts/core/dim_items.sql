-- One row per item: Infor's item master, with the FreshBooks item of the same SKU.

with

m3_items as (

    select * from {{ ref('stg_infor__items') }}

),

freshbooks_items as (

    select * from {{ ref('stg_freshbooks__items') }}
    where not is_deleted

),

crosswalk as (

    select * from {{ ref('item_crosswalk') }}

),

freshbooks_by_number as (

    select
        coalesce(crosswalk.m3_item_number, freshbooks_items.sku) as item_number,
        min(freshbooks_items.item_key) as freshbooks_item_key,
        min(freshbooks_items.item_name) as freshbooks_item_name,
        min(freshbooks_items.unit_cost) as freshbooks_unit_cost

    from freshbooks_items
    left join crosswalk on freshbooks_items.sku = crosswalk.freshbooks_sku
    where freshbooks_items.sku is not null
    group by 1

),

final as (

    select
        coalesce(m3_items.item_number, freshbooks_by_number.item_number) as item_number,
        m3_items.item_name,
        m3_items.item_description,
        m3_items.item_group,
        m3_items.unit_of_measure,
        freshbooks_by_number.freshbooks_item_key,
        freshbooks_by_number.freshbooks_item_name,
        freshbooks_by_number.freshbooks_unit_cost,
        m3_items.item_number is not null as is_in_infor,
        freshbooks_by_number.item_number is not null as is_in_freshbooks,
        coalesce(m3_items.is_blocked, false) as is_blocked

    from m3_items
    full outer join freshbooks_by_number on m3_items.item_number = freshbooks_by_number.item_number

)

select * from final
