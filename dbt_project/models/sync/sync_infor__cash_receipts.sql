-- Infor cash receipts to add (ABS100MI AddStatmtHead, AddStatmtLine, AddStatmtDetail, then
-- ValidateStatmt): one bank statement per FreshBooks payment, natural key STMN. The line is the
-- amount received; the first detail settles the AR invoice, and a payment that differs from
-- the invoice's open amount within the tolerance has a second detail with the difference
-- (`difference_detail`, see plan_infor__cash_receipts). Differences beyond it are in
-- sync_rejects.

{%- set payload = [
    'CONO', 'DIVI', 'BSTY', 'STMN', 'BSID', 'CUCD',
    'BLSN', 'BLLF', 'CURD', 'ACDT', 'PYNO', 'AIN1', 'ABNO',
    'BLSS', 'CINO', 'INYR', 'BLNF', 'IRNO',
    'difference_detail',
] %}

with

planned as (

    select * from {{ ref('plan_infor__cash_receipts') }}
    where reason_code is null

),

hashed as (

    select
        planned.*,
        {{ sync_content_hash(payload) }} as content_hash

    from planned

),

pending as (

    select * from hashed
    where not {{ sync_is_applied('hashed') }}

),

final as (

    select
        {{ sync_key('target', 'entity', 'natural_key', 'content_hash') }} as sync_key,
        target,
        entity,
        natural_key,
        operation,
        depends_on,
        content_hash,

        -- payload (ABS100MI fields: statement head, its line, the line's details; the
        -- difference detail is one JSON object of AddStatmtDetail fields)
        {%- for column in payload %}
        {{ column }},
        {%- endfor %}

        -- source ids
        payment_key,
        account_id,
        payment_id,
        invoice_key,
        freshbooks_invoice_number,
        m3_order_number,
        payment_method,
        cash_account,
        open_amount,
        payment_difference,

        -- receipts ledgerlink booked before that settled the same amount on the same day and
        -- invoice (the writer tells this receipt's Infor payment item from theirs by them)
        booked_alike

    from pending

)

select * from final
