-- Infor GL journals the FreshBooks expenses call for, one row per expense (or one per failed
-- check): a GLS840MI batch keyed 'FB-EXP-' + expense id that debits the category's GL account
-- and credits its offset account (payables or the card account) with the expense amount (tax
-- included). The batch key leads each line's voucher text, so an expense Infor has posted is
-- recognised in the GL itself, not only in the ledger.

{%- set key_prefix = sync_setting('gls840_key_prefix') %}

with

expenses as (

    select * from {{ ref('int_expenses_mapped') }}
    where not is_deleted

),

accounts as (

    select account_number, is_blocked
    from {{ ref('stg_infor__chart_of_accounts') }}
    where accounting_dimension = 1

),

posted_batches as (

    -- the first word of a voucher text is the batch key ledgerlink wrote there
    select distinct {{ dbt.split_part('voucher_text', "' '", 1) }} as batch_key
    from {{ ref('stg_infor__gl_voucher_lines') }}
    where voucher_text like {{ dbt.string_literal(key_prefix ~ '%') }}

),

journals as (

    select
        expenses.*,
        {{ dbt.concat([dbt.string_literal(key_prefix), 'cast(expenses.expense_id as ' ~ dbt.type_string() ~ ')']) }}
            as batch_key

    from expenses

),

unposted as (

    select journals.*
    from journals
    left join posted_batches on journals.batch_key = posted_batches.batch_key
    where posted_batches.batch_key is null

),

journal_values as (

    select
        unposted.*,
        {{ m3_text('unposted.batch_key', 'GLS840MI/AddBatchHead', 'KEY1') }} as KEY1,
        {{ m3_text(
            dbt.concat(["'FreshBooks expense '", 'cast(unposted.expense_id as ' ~ dbt.type_string() ~ ')', "' '", "coalesce(unposted.vendor, '')"]),
            'GLS840MI/AddBatchHead', 'DESC'
        ) }} as batch_description,
        {{ m3_text(
            dbt.concat(['unposted.batch_key', "' '", "coalesce(unposted.vendor, unposted.category_name, '')"]),
            'GLS840MI/AddBatchLineFld', 'VTXT'
        ) }} as voucher_text,
        {{ m3_date_string('unposted.incurred_on') }} as accounting_date,
        {{ m3_number('unposted.amount', 2) }} as amount_text,
        -- ACAM is in the company's currency: given for local-currency expenses, else M3
        -- converts CUAM at its own rate
        case
            when unposted.currency_code = {{ sync_literal('m3_local_currency') }}
                then {{ m3_number('unposted.amount', 2) }}
        end as local_amount_text,
        debit_accounts.account_number is not null as is_gl_account_known,
        coalesce(debit_accounts.is_blocked, false) as is_gl_account_blocked,
        credit_accounts.account_number is not null as is_offset_account_known,
        coalesce(credit_accounts.is_blocked, false) as is_offset_account_blocked

    from unposted
    left join accounts as debit_accounts on unposted.gl_account = debit_accounts.account_number
    left join accounts as credit_accounts on unposted.offset_account = credit_accounts.account_number

),

journal_lines as (

    {%- for line_number, side, account in [(1, 'D', 'gl_account'), (2, 'C', 'offset_account')] %}
    select
        expense_key,
        {{ line_number }} as line_number,
        {{ sync_json_object([
            ('LINE', "'" ~ line_number ~ "'"),
            ('INRI', sync_literal('gls840_record_identity')),
            ('GRNR', "'1'"),
            ('AIT1', m3_text(account, 'GLS840MI/AddBatchLineFld', 'AIT1')),
            ('DBCR', "'" ~ side ~ "'"),
            ('ACAM', 'local_amount_text'),
            ('CUAM', 'amount_text'),
            ('CUCD', m3_text('currency_code', 'GLS840MI/AddBatchLineFld', 'CUCD')),
            ('ACDT', 'accounting_date'),
            ('VTXT', 'voucher_text'),
        ]) }} as line_payload

    from journal_values
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

lines_per_journal as (

    select
        expense_key,
        {{ sync_json_as_text(sync_json_array_agg('line_payload', 'line_number')) }} as journal_lines

    from journal_lines
    group by expense_key

),

candidates as (

    select
        journal_values.expense_key as candidate_key,
        'infor' as target,
        'gl_journals' as entity,
        journal_values.KEY1 as natural_key,
        'create' as operation,
        cast(null as {{ dbt.type_string() }}) as depends_on,

        -- GLS840MI AddBatchHead
        {{ sync_literal('m3_company') }} as CONO,
        {{ sync_literal('m3_division') }} as DIVI,
        journal_values.KEY1,
        {{ m3_text(dbt.string_literal(sync_setting('gls840_interface')), 'GLS840MI/AddBatchHead', 'INTN') }} as INTN,
        journal_values.batch_description as {{ adapter.quote('DESC') }},
        -- GLS840MI AddBatchLineFld, one element per line
        lines_per_journal.journal_lines as lines,

        -- source ids and what the checks read
        'freshbooks' as source_system,
        journal_values.expense_key as source_key,
        cast(journal_values.expense_id as {{ dbt.type_string() }}) as source_id,
        journal_values.expense_key,
        journal_values.account_id,
        journal_values.expense_id,
        journal_values.category_name as expense_category,
        journal_values.gl_account,
        journal_values.offset_account,
        journal_values.currency_code,
        journal_values.amount,
        journal_values.is_mapped,
        journal_values.is_gl_account_known,
        journal_values.is_gl_account_blocked,
        journal_values.is_offset_account_known,
        journal_values.is_offset_account_blocked

    from journal_values
    inner join lines_per_journal on journal_values.expense_key = lines_per_journal.expense_key

),

failed_checks as (

    {{ sync_failed_checks('candidates', 'candidate_key', [
        ('no_category', "expense_category is null",
            "'expense has no category'"),
        ('unmapped_expense_category', "expense_category is not null and not is_mapped",
            dbt.concat(["'expense category \"'", "expense_category", "'\" has no GL account mapping'"])),
        ('unknown_gl_account', "is_mapped and (not is_gl_account_known or not is_offset_account_known)",
            dbt.concat(["'GL account '", "coalesce(case when not is_gl_account_known then gl_account else offset_account end, '(none)')", "' is not in the Infor chart of accounts'"])),
        ('blocked_gl_account', "is_gl_account_blocked or is_offset_account_blocked",
            dbt.concat(["'GL account '", "case when is_gl_account_blocked then gl_account else offset_account end", "' is blocked in Infor'"])),
        ('no_amount', "coalesce(amount, 0) = 0",
            "'expense amount is missing or zero'"),
        ('negative_amount', "amount < 0",
            "'expense amount is negative: post the refund by hand'"),
        ('batch_key_too_long', "length(" ~ dbt.concat([dbt.string_literal(key_prefix), 'source_id']) ~ ") > " ~ m3_field_length('GLS840MI/AddBatchHead', 'KEY1'),
            "'batch key is longer than M3 allows (KEY1)'"),
    ]) }}

),

final as (

    {{ sync_candidates_with_reasons('candidates', 'failed_checks') }}

)

select * from final
