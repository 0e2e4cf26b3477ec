-- Infor cash receipts the FreshBooks payments call for, one row per payment (or one per failed
-- check): a bank statement (ABS100MI) with one line and one detail that settles the Infor AR
-- invoice of the payment's FreshBooks invoice. Only payments whose invoice Infor has invoiced
-- and not yet reconciled are candidates: until Infor invoices the order there is nothing to
-- settle. The statement number is the payment's ('FBP' + payment id). A receipt ledgerlink has
-- booked is known from the ledger (its statement number), never from a text Infor may write
-- differently; `booked_alike` lists our other receipts of the same amount on the same day and
-- invoice, so the writer can tell an Infor payment item that is this receipt's from one that
-- is another's (ARS200MI documents amounts and dates, not statement numbers).

with

payments as (

    select * from {{ ref('int_payments_mapped') }}
    where not is_deleted

),

invoices as (

    select * from {{ ref('int_invoices_linked') }}
    where m3_invoice_number is not null
        and not is_paid_in_infor

),

ar_invoice_items as (

    select
        invoice_number,
        max(invoice_year) as invoice_year,
        max(customer_number) as customer_number,
        max(coalesce(payer_number, customer_number)) as payer_number

    from {{ ref('stg_infor__ar_open_items') }}
    where transaction_code = '10'
    group by invoice_number

),

booked_receipts as (

    select
        natural_key as statement_number,
        {{ sync_json_text('payload', ['CINO']) }} as invoice_number,
        {{ sync_json_text('payload', ['BLLF']) }} as amount_text,
        {{ sync_json_text('payload', ['ACDT']) }} as accounting_date

    from {{ ref('stg_ops__sync_records') }}
    where target = 'infor'
        and entity = 'cash_receipts'
        and is_applied

),

m3_invoices as (

    select invoice_number, invoice_year, remaining_amount
    from {{ ref('stg_infor__customer_invoices') }}

),

banks as (

    select currency_code, bank_identifier from {{ ref('currencies') }}

),

receipts as (

    select
        payments.*,
        invoices.invoice_key,
        invoices.invoice_number as freshbooks_invoice_number,
        invoices.m3_order_number,
        invoices.m3_invoice_number,
        invoices.organization,
        ar_invoice_items.invoice_year as ar_invoice_year,
        ar_invoice_items.payer_number,
        m3_invoices.remaining_amount,
        banks.bank_identifier,
        {{ dbt.concat([sync_literal('abs100_statement_prefix'), 'cast(payments.payment_id as ' ~ dbt.type_string() ~ ')']) }}
            as statement_number

    from payments
    inner join invoices
        on payments.account_id = invoices.account_id
        and payments.invoice_id = invoices.invoice_id
    left join ar_invoice_items on invoices.m3_invoice_number = ar_invoice_items.invoice_number
    left join m3_invoices
        on ar_invoice_items.invoice_number = m3_invoices.invoice_number
        and ar_invoice_items.invoice_year = m3_invoices.invoice_year
    left join banks on payments.currency_code = banks.currency_code

),

booked_alike as (

    -- receipts ledgerlink booked on the same invoice, of the same amount, on the same day
    select
        receipts.statement_number,
        {{ dbt.listagg('booked.statement_number', "','", 'order by booked.statement_number') }}
            as booked_alike

    from receipts
    inner join booked_receipts as booked
        on booked.invoice_number = receipts.m3_invoice_number
        and booked.amount_text = {{ m3_number('receipts.amount', 2) }}
        and booked.accounting_date = {{ m3_date_string('receipts.paid_on') }}
    group by receipts.statement_number

),

unreceived as (

    select
        receipts.*,
        booked_alike.booked_alike

    from receipts
    left join booked_alike on receipts.statement_number = booked_alike.statement_number
    where not exists (
        select 1 from booked_receipts as booked
        where booked.statement_number = receipts.statement_number
    )

),

candidates as (

    select
        payment_key as candidate_key,
        'infor' as target,
        'cash_receipts' as entity,
        statement_number as natural_key,
        'create' as operation,
        cast(null as {{ dbt.type_string() }}) as depends_on,

        -- ABS100MI AddStatmtHead
        {{ sync_literal('m3_company') }} as CONO,
        {{ sync_literal('m3_division') }} as DIVI,
        {{ sync_literal('abs100_statement_type') }} as BSTY,
        {{ m3_text('statement_number', 'ABS100MI/AddStatmtHead', 'STMN') }} as STMN,
        {{ m3_text('bank_identifier', 'ABS100MI/AddStatmtHead', 'BSID') }} as BSID,
        {{ m3_text('currency_code', 'ABS100MI/AddStatmtHead', 'CUCD') }} as CUCD,
        -- AddStatmtLine (one line, sequence 1)
        '1' as BLSN,
        {{ m3_number('amount', 2) }} as BLLF,
        {{ m3_date_string('paid_on') }} as CURD,
        {{ m3_date_string('paid_on') }} as ACDT,
        {{ m3_text('payer_number', 'ABS100MI/AddStatmtLine', 'PYNO') }} as PYNO,
        {{ m3_text('organization', 'ABS100MI/AddStatmtLine', 'AIN1') }} as AIN1,
        {{ m3_text('gateway_transaction_id', 'ABS100MI/AddStatmtLine', 'ABNO') }} as ABNO,
        -- AddStatmtDetail (one detail, sequence 1): the AR invoice it settles
        '1' as BLSS,
        {{ m3_text('m3_invoice_number', 'ABS100MI/AddStatmtDetail', 'CINO') }} as CINO,
        cast(ar_invoice_year as {{ dbt.type_string() }}) as INYR,
        {{ m3_number('amount', 2) }} as BLNF,
        {{ m3_text(
            dbt.concat(["'FreshBooks payment '", 'cast(payment_id as ' ~ dbt.type_string() ~ ')', "' invoice '", 'freshbooks_invoice_number']),
            'ABS100MI/AddStatmtDetail', 'IRNO'
        ) }} as IRNO,

        -- source ids and what the checks read
        'freshbooks' as source_system,
        payment_key as source_key,
        cast(payment_id as {{ dbt.type_string() }}) as source_id,
        payment_key,
        account_id,
        payment_id,
        invoice_key,
        freshbooks_invoice_number,
        m3_order_number,
        payment_type,
        gateway,
        payment_method,
        cash_account,
        currency_code,
        amount,
        remaining_amount,
        booked_alike,
        coalesce(is_from_credit, false) as is_from_credit

    from unreceived

),

failed_checks as (

    {{ sync_failed_checks('candidates', 'candidate_key', [
        ('unmapped_payment_method', "payment_method is null",
            dbt.concat(["'payment type \"'", "coalesce(payment_type, '')", "'\" / gateway \"'", "coalesce(gateway, '')", "'\" has no Infor payment method mapping'"])),
        ('unmapped_currency', "BSID is null",
            dbt.concat(["'currency \"'", "coalesce(currency_code, '')", "'\" has no bank identifier mapping (BSID)'"])),
        ('no_ar_invoice', "INYR is null",
            dbt.concat(["'Infor invoice '", "CINO", "' has no AR open item'"])),
        ('payment_from_credit', "is_from_credit",
            "'payment from a credit: not a bank receipt; settle it in Infor AR'"),
        ('no_amount', "coalesce(amount, 0) <= 0",
            "'payment amount is missing, zero or negative'"),
        ('exceeds_open_amount', "amount > remaining_amount",
            dbt.concat(["'payment '", "BLLF", "' exceeds the open amount '", "cast(remaining_amount as " ~ dbt.type_string() ~ ")", "' of Infor invoice '", "CINO"])),
    ]) }}

),

final as (

    select
        candidates.*,
        failed_checks.reason_code,
        failed_checks.reason

    from candidates
    left join failed_checks on candidates.candidate_key = failed_checks.candidate_key

)

select * from final
