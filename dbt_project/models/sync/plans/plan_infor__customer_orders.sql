-- Infor customer orders the FreshBooks invoices call for, one row per order (or one per failed
-- check): every sent or paid invoice (and every shop invoice, which stays a draft until Infor
-- ships it) that no Infor order carries as its customer PO (CUOR = invoice number) yet. The
-- order waits for its customer when that customer is still to be created (`depends_on`).

with

invoices as (

    select * from {{ ref('int_invoices_linked') }}
    where not is_deleted
        and m3_order_number is null
        and (
            coalesce(v3_status, '') <> 'draft'
            or invoice_number like {{ dbt.concat([sync_literal('shop_invoice_prefix'), "'%'"]) }}
        )

),

clients as (

    select client_key, client_type, order_type from {{ ref('int_freshbooks__clients_typed') }}

),

lines as (

    -- charge lines (shipping, discount) are not items, and a zero quantity orders nothing
    select * from {{ ref('int_invoice_lines_mapped') }}
    where coalesce(item_name, '') not in {{ sync_charge_line_names() }}
        and coalesce(quantity, 0) <> 0

),

m3_customers as (

    select customer_number, is_blocked from {{ ref('stg_infor__customers') }}

),

customer_rejects as (

    -- clients whose Infor customer cannot be created: their orders cannot be placed either
    select client_key, min(reason) as reason
    from {{ ref('plan_infor__customers') }}
    where reason_code is not null
    group by client_key

),

order_lines as (

    select
        invoice_key,
        line_index,
        item_name,
        m3_item_number,
        is_known_in_infor,
        quantity < 0 or unit_cost < 0 as is_negative,
        {{ sync_json_object([
            ('ITNO', m3_text('m3_item_number', 'OIS100MI/AddBatchLine', 'ITNO')),
            ('ORQT', 'case when quantity = round(quantity, 0) then ' ~ m3_number('quantity', 0) ~ ' else ' ~ m3_number('quantity', 4) ~ ' end'),
            ('SAPR', m3_number('unit_cost', 2)),
        ]) }} as line_payload

    from lines

),

lines_per_invoice as (

    select
        invoice_key,
        count(*) as line_count,
        sum(case when is_negative then 1 else 0 end) as negative_lines,
        {{ sync_json_as_text(sync_json_array_agg('line_payload', 'line_index')) }} as order_lines

    from order_lines
    group by invoice_key

),

unknown_items as (

    select distinct
        invoice_key,
        item_name

    from order_lines
    where not is_known_in_infor

),

candidates as (

    select
        invoices.invoice_key as candidate_key,
        'infor' as target,
        'customer_orders' as entity,
        invoices.invoice_number as natural_key,
        'create' as operation,
        case
            when invoices.customer_number is null then {{ sync_new_customer_number('invoices.client_id') }}
        end as depends_on,

        -- OIS100MI AddBatchHead
        coalesce(invoices.customer_number, {{ sync_new_customer_number('invoices.client_id') }}) as CUNO,
        {{ m3_text('invoices.invoice_number', 'OIS100MI/AddBatchHead', 'CUOR') }} as CUOR,
        {{ m3_text('clients.order_type', 'OIS100MI/AddBatchHead', 'ORTP') }} as ORTP,
        {{ sync_literal('m3_facility') }} as FACI,
        {{ sync_literal('m3_warehouse') }} as WHLO,
        {{ m3_date_string('invoices.issued_on') }} as ORDT,
        {{ m3_date_string('invoices.issued_on') }} as RLDT,
        {{ m3_text('invoices.currency_code', 'OIS100MI/AddBatchHead', 'CUCD') }} as CUCD,
        -- OIS100MI AddBatchLine, one element per line: ITNO, ORQT, SAPR
        lines_per_invoice.order_lines as lines,

        -- source ids and what the checks read
        'freshbooks' as source_system,
        invoices.invoice_key as source_key,
        cast(invoices.invoice_id as {{ dbt.type_string() }}) as source_id,
        invoices.invoice_key,
        invoices.account_id,
        invoices.invoice_id,
        invoices.client_id,
        {{ dbt.concat(['invoices.account_id', "'|'", 'invoices.client_id']) }} as client_key,
        invoices.customer_match_status,
        clients.client_type,
        coalesce(lines_per_invoice.line_count, 0) as line_count,
        coalesce(lines_per_invoice.negative_lines, 0) as negative_lines,
        coalesce(m3_customers.is_blocked, false) as is_customer_blocked

    from invoices
    left join clients
        on {{ dbt.concat(['invoices.account_id', "'|'", 'invoices.client_id']) }} = clients.client_key
    left join lines_per_invoice on invoices.invoice_key = lines_per_invoice.invoice_key
    left join m3_customers on invoices.customer_number = m3_customers.customer_number

),

failed_checks as (

    {{ sync_failed_checks('candidates', 'candidate_key', [
        ('unknown_client', "customer_match_status is null",
            "'invoice client is deleted or unknown in FreshBooks'"),
        ('ambiguous_customer_match', "customer_match_status = 'ambiguous'",
            "'invoice client matches several Infor customers: needs review'"),
        ('duplicate_client', "customer_match_status = 'duplicate_client'",
            "'invoice client is a duplicate client: needs review'"),
        ('customer_blocked', "is_customer_blocked",
            dbt.concat(["'Infor customer '", "CUNO", "' is blocked'"])),
        ('unmapped_client_type', "customer_match_status in ('matched', 'unmatched') and ORTP is null",
            dbt.concat(["'client type \"'", "coalesce(client_type, '')", "'\" has no order type mapping (ORTP)'"])),
        ('no_lines', "line_count = 0",
            "'invoice has no item lines to order'"),
        ('negative_line', "negative_lines > 0",
            "'invoice has a line with a negative quantity or price: Infor order lines must be positive'"),
    ]) }}

    union all

    select
        candidates.candidate_key,
        'customer_not_creatable' as reason_code,
        {{ dbt.concat(["'customer '", "candidates.CUNO", "' cannot be created in Infor: '", "customer_rejects.reason"]) }} as reason

    from candidates
    inner join customer_rejects on candidates.client_key = customer_rejects.client_key
    where candidates.customer_match_status = 'unmatched'

    union all

    select
        candidates.candidate_key,
        'unknown_item' as reason_code,
        {{ dbt.concat(["'invoice line item \"'", "coalesce(unknown_items.item_name, '')", "'\" not known in Infor'"]) }} as reason

    from candidates
    inner join unknown_items on candidates.invoice_key = unknown_items.invoice_key

),

final as (

    {{ sync_candidates_with_reasons('candidates', 'failed_checks') }}

)

select * from final
