-- Infor cash receipts the FreshBooks payments call for, one row per payment (or one per failed
-- check): a bank statement (ABS100MI) with one line, the amount received, and the details that
-- settle the Infor AR invoice of the payment's FreshBooks invoice. Only payments whose invoice
-- Infor has invoiced and not yet reconciled are candidates: until Infor invoices the order there
-- is nothing to settle. The statement number is the payment's ('FBP' + payment id).
--
-- The payment-difference rule. Each payment meets the invoice's open amount in Infor (OIS350MI
-- RAFC) less what the earlier unbooked payments on it settle first. A payment meant to settle
-- the invoice (more than is open, or the last payment of an invoice FreshBooks shows paid) and
-- within `payment_difference_tolerance` of the open amount is booked whole: the invoice detail
-- settles the open amount, so AR reconciles (RECO 9), and a second detail carries the
-- difference, positive or negative, with the business transaction code
-- `abs100_difference_code`, so the details add up to the line. A larger difference is held in
-- sync_rejects with both amounts. A part payment (FreshBooks still shows the invoice open)
-- settles what it pays.
--
-- A receipt ledgerlink has booked is known from the ledger (its statement number), never from a
-- text Infor may write differently; `booked_alike` lists our other receipts that settled the
-- same amount on the same day and invoice, so the writer can tell an Infor payment item that is
-- this receipt's from one that is another's (ARS200MI documents amounts and dates, not
-- statement numbers).

{%- set tolerance = 'cast(' ~ sync_literal('payment_difference_tolerance') ~ ' as decimal(18, 2))' %}

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

    -- what each booked receipt settled on its AR invoice: the invoice detail's amount (BLNF)
    select
        natural_key as statement_number,
        {{ sync_json_text('payload', ['CINO']) }} as invoice_number,
        coalesce(
            {{ sync_json_text('payload', ['BLNF']) }}, {{ sync_json_text('payload', ['BLLF']) }}
        ) as settled_text,
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
        coalesce(
            invoices.outstanding_amount <= 0,
            invoices.payment_status in ('paid', 'auto-paid'),
            false
        ) as is_paid_in_freshbooks,
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

unreceived as (

    select * from receipts
    where not exists (
        select 1 from booked_receipts as booked
        where booked.statement_number = receipts.statement_number
    )

),

open_amounts as (

    -- the open amount each payment meets: Infor's, less the earlier unbooked payments on the
    -- same invoice (by payment day, then id), which are booked first
    select
        unreceived.*,
        remaining_amount - coalesce(sum(amount) over (
            partition by m3_invoice_number
            order by paid_on, payment_id
            rows between unbounded preceding and 1 preceding
        ), 0) as open_amount,
        row_number() over (
            partition by m3_invoice_number
            order by paid_on desc, payment_id desc
        ) = 1 as is_last_payment

    from unreceived

),

settlements as (

    select
        open_amounts.*,
        amount - open_amount as payment_difference,
        -- meant to settle the invoice: more than Infor has open, or the last payment of an
        -- invoice FreshBooks shows paid; anything else is a part payment
        coalesce(
            amount > open_amount or (amount < open_amount and is_last_payment and is_paid_in_freshbooks),
            false
        ) as settles_with_difference

    from open_amounts

),

settled as (

    select
        settlements.*,
        case when settles_with_difference then open_amount else amount end as settled_amount

    from settlements

),

booked_alike as (

    -- receipts ledgerlink booked that settled the same amount on the same invoice and day
    select
        settled.statement_number,
        {{ dbt.listagg('booked.statement_number', "','", 'order by booked.statement_number') }}
            as booked_alike

    from settled
    inner join booked_receipts as booked
        on booked.invoice_number = settled.m3_invoice_number
        and booked.settled_text = {{ m3_number('settled.settled_amount', 2) }}
        and booked.accounting_date = {{ m3_date_string('settled.paid_on') }}
    group by settled.statement_number

),

candidates as (

    select
        settled.payment_key as candidate_key,
        'infor' as target,
        'cash_receipts' as entity,
        settled.statement_number as natural_key,
        'create' as operation,
        cast(null as {{ dbt.type_string() }}) as depends_on,

        -- ABS100MI AddStatmtHead
        {{ sync_literal('m3_company') }} as CONO,
        {{ sync_literal('m3_division') }} as DIVI,
        {{ sync_literal('abs100_statement_type') }} as BSTY,
        {{ m3_text('settled.statement_number', 'ABS100MI/AddStatmtHead', 'STMN') }} as STMN,
        {{ m3_text('bank_identifier', 'ABS100MI/AddStatmtHead', 'BSID') }} as BSID,
        {{ m3_text('currency_code', 'ABS100MI/AddStatmtHead', 'CUCD') }} as CUCD,
        -- AddStatmtLine (one line, sequence 1): the amount received
        '1' as BLSN,
        {{ m3_number('amount', 2) }} as BLLF,
        {{ m3_date_string('paid_on') }} as CURD,
        {{ m3_date_string('paid_on') }} as ACDT,
        {{ m3_text('payer_number', 'ABS100MI/AddStatmtLine', 'PYNO') }} as PYNO,
        {{ m3_text('organization', 'ABS100MI/AddStatmtLine', 'AIN1') }} as AIN1,
        {{ m3_text('gateway_transaction_id', 'ABS100MI/AddStatmtLine', 'ABNO') }} as ABNO,
        -- AddStatmtDetail (sequence 1): the AR invoice it settles, and by how much
        '1' as BLSS,
        {{ m3_text('m3_invoice_number', 'ABS100MI/AddStatmtDetail', 'CINO') }} as CINO,
        cast(ar_invoice_year as {{ dbt.type_string() }}) as INYR,
        {{ m3_number('settled_amount', 2) }} as BLNF,
        {{ m3_text(
            dbt.concat(["'FreshBooks payment '", 'cast(payment_id as ' ~ dbt.type_string() ~ ')', "' invoice '", 'freshbooks_invoice_number']),
            'ABS100MI/AddStatmtDetail', 'IRNO'
        ) }} as IRNO,
        -- AddStatmtDetail (sequence 2, with a payment difference only): the difference, booked
        -- by the tenant's business transaction code instead of to an invoice
        case when settles_with_difference and payment_difference <> 0 then
            {{ sync_json_as_text(sync_json_object([
                ('BLSN', "'1'"),
                ('BLSS', "'2'"),
                ('BLBC', m3_text(sync_literal('abs100_difference_code'), 'ABS100MI/AddStatmtDetail', 'BLBC')),
                ('BLNF', m3_number('payment_difference', 2)),
                ('BLTX', m3_text(dbt.concat(["'Difference '", 'settled.statement_number']), 'ABS100MI/AddStatmtDetail', 'BLTX')),
            ])) }}
        end as difference_detail,

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
        open_amount,
        settled_amount,
        case when settles_with_difference then payment_difference end as payment_difference,
        booked_alike.booked_alike,
        coalesce(is_from_credit, false) as is_from_credit

    from settled
    left join booked_alike on settled.statement_number = booked_alike.statement_number

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
        ('nothing_open', "amount > 0 and open_amount <= 0",
            dbt.concat(["'payment '", "BLLF", "' meets nothing open on Infor invoice '", "CINO", "' (its open amount '", m3_number('remaining_amount', 2), "' is settled by earlier payments): review it in Infor AR'"])),
        ('payment_difference_beyond_tolerance', "open_amount > 0 and abs(coalesce(payment_difference, 0)) > " ~ tolerance,
            dbt.concat(["'payment '", "BLLF", "', Infor open amount '", m3_number('open_amount', 2), "' of invoice '", "CINO", "': difference '", m3_number('payment_difference', 2), "' is beyond the tolerance '", m3_number(tolerance, 2), "'; book it in Infor AR by hand, or correct the payment in FreshBooks'"])),
    ]) }}

),

final as (

    {{ sync_candidates_with_reasons('candidates', 'failed_checks') }}

)

select * from final
