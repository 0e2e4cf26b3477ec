with

source as (

    select * from {{ source('infor', 'customer_orders') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['trim(cono)', "'|'", 'trim(orno)']) }} as customer_order_key,
        trim(cono) as company,
        nullif(trim(divi), '') as division,
        trim(orno) as order_number,
        nullif(trim(cuno), '') as customer_number,
        -- the customer's PO; for orders ledgerlink creates, the FreshBooks invoice number
        nullif(trim(cuor), '') as customer_po_number,
        nullif(trim(dlix), '') as delivery_number,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(ortp), '') as order_type,
        nullif(trim(faci), '') as facility,
        nullif(trim(modl), '') as delivery_method,
        nullif(trim(tedl), '') as delivery_terms,
        nullif(trim(yref), '') as contact_reference,
        nullif(trim(smcd), '') as salesperson,
        nullif(trim(agnt), '') as agent,
        nullif(trim(proj), '') as project,
        nullif(trim(pycd), '') as payment_method,

        -- status (2-digit codes: 22 allocated, 66 delivered, 77 invoiced, 90 closed)
        nullif(trim(stat), '') as status_code,
        nullif(trim(orsl), '') as lowest_line_status,
        nullif(trim(orst), '') as highest_line_status,

        -- dates and timestamps
        {{ m3_date('ordt') }} as ordered_on,
        {{ m3_date('rldt') }} as requested_delivery_on,
        {{ dlt_loaded_at() }} as loaded_at

    from source

)

select * from renamed
