with

source as (

    select * from {{ source('ops', 'id_crosswalk') }}

),

renamed as (

    select
        -- ids
        entity,
        freshbooks_account_id,
        freshbooks_id,
        infor_company,
        infor_key,
        shop_id,

        -- descriptions
        source as recorded_by,

        -- timestamps
        updated_at

    from source

)

select * from renamed
