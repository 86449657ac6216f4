#include "engine/common_models.h"

#include <algorithm>

namespace ferry::engine {
namespace {

// Merge's common models (merge-node-client 4.0.4): category, model name, path segment.
constexpr CommonModel kCommonModels[] = {
    {"accounting", "Account", "accounts"},
    {"accounting", "AccountingAttachment", "attachments"},
    {"accounting", "AccountingPeriod", "accounting-periods"},
    {"accounting", "BalanceSheet", "balance-sheets"},
    {"accounting", "BankFeedAccount", "bank-feed-accounts"},
    {"accounting", "BankFeedTransaction", "bank-feed-transactions"},
    {"accounting", "CashFlowStatement", "cash-flow-statements"},
    {"accounting", "CompanyInfo", "company-info"},
    {"accounting", "Contact", "contacts"},
    {"accounting", "CreditNote", "credit-notes"},
    {"accounting", "Employee", "employees"},
    {"accounting", "Expense", "expenses"},
    {"accounting", "ExpenseReport", "expense-reports"},
    {"accounting", "GeneralLedgerTransaction", "general-ledger-transactions"},
    {"accounting", "IncomeStatement", "income-statements"},
    {"accounting", "Invoice", "invoices"},
    {"accounting", "Item", "items"},
    {"accounting", "ItemFulfillment", "item-fulfillments"},
    {"accounting", "JournalEntry", "journal-entries"},
    {"accounting", "Payment", "payments"},
    {"accounting", "PaymentMethod", "payment-methods"},
    {"accounting", "PaymentTerm", "payment-terms"},
    {"accounting", "Project", "projects"},
    {"accounting", "PurchaseOrder", "purchase-orders"},
    {"accounting", "SalesOrder", "sales-orders"},
    {"accounting", "TaxRate", "tax-rates"},
    {"accounting", "TrackingCategory", "tracking-categories"},
    {"accounting", "Transaction", "transactions"},
    {"accounting", "VendorCredit", "vendor-credits"},
    {"ats", "Activity", "activities"},
    {"ats", "Application", "applications"},
    {"ats", "Attachment", "attachments"},
    {"ats", "Candidate", "candidates"},
    {"ats", "Department", "departments"},
    {"ats", "EEOC", "eeocs"},
    {"ats", "Job", "jobs"},
    {"ats", "JobInterviewStage", "job-interview-stages"},
    {"ats", "JobPosting", "job-postings"},
    {"ats", "Offer", "offers"},
    {"ats", "Office", "offices"},
    {"ats", "RejectReason", "reject-reasons"},
    {"ats", "RemoteUser", "users"},
    {"ats", "ScheduledInterview", "interviews"},
    {"ats", "Scorecard", "scorecards"},
    {"ats", "Tag", "tags"},
    {"crm", "Account", "accounts"},
    {"crm", "Contact", "contacts"},
    {"crm", "CustomObjectClass", "custom-object-classes"},
    {"crm", "Engagement", "engagements"},
    {"crm", "EngagementType", "engagement-types"},
    {"crm", "Lead", "leads"},
    {"crm", "Note", "notes"},
    {"crm", "Opportunity", "opportunities"},
    {"crm", "Stage", "stages"},
    {"crm", "Task", "tasks"},
    {"crm", "User", "users"},
    {"filestorage", "Drive", "drives"},
    {"filestorage", "File", "files"},
    {"filestorage", "Folder", "folders"},
    {"filestorage", "Group", "groups"},
    {"filestorage", "User", "users"},
    {"hris", "BankInfo", "bank-info"},
    {"hris", "Benefit", "benefits"},
    {"hris", "Company", "companies"},
    {"hris", "Dependent", "dependents"},
    {"hris", "Employee", "employees"},
    {"hris", "EmployeePayrollRun", "employee-payroll-runs"},
    {"hris", "EmployerBenefit", "employer-benefits"},
    {"hris", "Employment", "employments"},
    {"hris", "Group", "groups"},
    {"hris", "Location", "locations"},
    {"hris", "PayGroup", "pay-groups"},
    {"hris", "PayrollRun", "payroll-runs"},
    {"hris", "Team", "teams"},
    {"hris", "TimeOff", "time-off"},
    {"hris", "TimeOffBalance", "time-off-balances"},
    {"hris", "TimesheetEntry", "timesheet-entries"},
    {"ticketing", "Account", "accounts"},
    {"ticketing", "Attachment", "attachments"},
    {"ticketing", "Collection", "collections"},
    {"ticketing", "Comment", "comments"},
    {"ticketing", "Contact", "contacts"},
    {"ticketing", "Project", "projects"},
    {"ticketing", "Role", "roles"},
    {"ticketing", "Tag", "tags"},
    {"ticketing", "Team", "teams"},
    {"ticketing", "Ticket", "tickets"},
    {"ticketing", "User", "users"},
};

}  // namespace

std::span<const CommonModel> common_models() {
  return kCommonModels;
}

const CommonModel* find_common_model(std::string_view category, std::string_view name) {
  const auto* found =
      std::find_if(std::begin(kCommonModels), std::end(kCommonModels),
                   [&](const CommonModel& m) { return m.category == category && m.name == name; });
  return found == std::end(kCommonModels) ? nullptr : found;
}

}  // namespace ferry::engine
